import { describe, expect, it } from 'vitest';
import { DeleteWindow } from './delete-window.js';

describe('DeleteWindow', () => {
  it('adds deletions recorded in several batches within the window', () => {
    const w = new DeleteWindow(60_000);
    w.note(30, 1_000);
    w.note(30, 2_500);
    w.note(40, 30_000);
    expect(w.count(30_000)).toBe(100);
  });

  it('forgets deletions older than the window', () => {
    const w = new DeleteWindow(60_000);
    w.note(30, 1_000);
    w.note(5, 50_000);
    expect(w.count(62_500)).toBe(5);
    expect(w.count(200_000)).toBe(0);
  });

  it('counts nothing recorded before `since` (a release)', () => {
    const w = new DeleteWindow(60_000);
    w.note(80, 1_000);
    w.note(3, 10_000);
    expect(w.count(11_000, 5_000)).toBe(3);
    expect(w.count(11_000)).toBe(83);
  });

  it('ignores zero and negative counts', () => {
    const w = new DeleteWindow(60_000);
    w.note(0, 1_000);
    w.note(-4, 1_000);
    expect(w.count(1_000)).toBe(0);
  });
});
