import { describe, expect, it } from 'vitest';
import { instanceLimitMessage, readInotifyLimit, suggestedLimit, watchLimitMessage } from './inotify-limits.js';

describe('inotify limit messages', () => {
  it('names the sysctl, its value, the need and the fix', () => {
    const m = watchLimitMessage({ root: '/srv/www', limit: 8192, needed: 100001, at: 'a/b' });
    expect(m).toContain('fs.inotify.max_user_watches is 8192');
    expect(m).toContain('needs 100001');
    expect(m).toContain('sysctl fs.inotify.max_user_watches=524288');
    expect(m).toContain('/etc/sysctl.d/');
    expect(m).toContain('(at a/b)');
  });

  it('suggests at least twice what is needed', () => {
    expect(suggestedLimit(10)).toBe(524288);
    expect(suggestedLimit(400000)).toBe(1048576);
  });

  it('says so when the numbers are unknown', () => {
    const m = watchLimitMessage({ root: '/r', limit: undefined, needed: undefined });
    expect(m).toContain('unknown');
    expect(m).toContain('max_user_watches');
  });

  it('names max_user_instances for EMFILE', () => {
    expect(instanceLimitMessage(128)).toMatch(/fs\.inotify\.max_user_instances is 128.*sysctl fs\.inotify\.max_user_instances=1024/);
  });

  it('reads a limit through the injected reader', () => {
    expect(readInotifyLimit('max_user_watches', () => '192536\n')).toBe(192536);
    expect(readInotifyLimit('max_user_watches', () => { throw new Error('no /proc'); })).toBeUndefined();
  });
});
