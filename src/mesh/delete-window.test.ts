import { describe, expect, it } from 'vitest';
import { DeleteWindow } from './delete-window.js';

describe('DeleteWindow', () => {
  it('adds deletions recorded in several batches within the window', () => {
    const w = new DeleteWindow(60_000);
    w.note(30, 0, 1_000);
    w.note(30, 0, 2_500);
    w.note(40, 0, 30_000);
    expect(w.netLoss(30_000)).toBe(100);
  });

  it('offsets deletions by the paths made meanwhile: a renamed directory is no loss', () => {
    const w = new DeleteWindow(60_000);
    w.note(120, 0, 1_000); // the old paths of a moved tree...
    w.note(0, 120, 1_200); // ...and its new ones
    expect(w.netLoss(2_000)).toBe(0);
    w.note(80, 20, 3_000);
    expect(w.netLoss(3_000)).toBe(60);
  });

  it('forgets what is older than the window', () => {
    const w = new DeleteWindow(60_000);
    w.note(30, 0, 1_000);
    w.note(5, 0, 50_000);
    expect(w.netLoss(62_500)).toBe(5);
    expect(w.netLoss(200_000)).toBe(0);
  });

  it('counts nothing recorded before `since` (a release)', () => {
    const w = new DeleteWindow(60_000);
    w.note(80, 0, 1_000);
    w.note(3, 0, 10_000);
    expect(w.netLoss(11_000, 5_000)).toBe(3);
    expect(w.netLoss(11_000)).toBe(83);
  });

  it('never goes below zero, and ignores negative counts', () => {
    const w = new DeleteWindow(60_000);
    w.note(0, 50, 1_000);
    w.note(-4, -4, 1_000);
    expect(w.netLoss(1_000)).toBe(0);
  });
});
