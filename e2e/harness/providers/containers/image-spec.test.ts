import { describe, expect, it } from 'vitest';
import { aptSources, BASE, baseTag, buildContext, dockerfile, hashOf, imageTag, NODE_PACKAGES } from './image-spec.js';

describe('image-spec', () => {
  it('builds FROM the given base, with sshd, rsync and the fault tools, upgraded from security', () => {
    const d = dockerfile('localhost/livemirror-e2e-base:abc');
    expect(d.split('\n')[0]).toBe('FROM localhost/livemirror-e2e-base:abc');
    for (const p of ['openssh-server', 'rsync', 'procps', 'iproute2', 'nftables', 'curl']) expect(NODE_PACKAGES).toContain(p);
    expect(d).toContain(`--no-install-recommends ${NODE_PACKAGES.join(' ')}`);
    expect(d).toMatch(/apt-get -y -qq .*upgrade/);
    // No host keys baked in: every node gets its own from the harness.
    expect(d).toContain('rm -rf /var/lib/apt/lists/* /etc/ssh/ssh_host_*');
    expect(aptSources()).toBe(
      'deb http://deb.debian.org/debian bookworm main\n' +
        'deb http://deb.debian.org/debian bookworm-updates main\n' +
        'deb http://deb.debian.org/debian-security bookworm-security main\n',
    );
  });

  it('hashes are stable, length-prefixed and 16 hex digits', () => {
    expect(hashOf(['a', 'b'])).toBe(hashOf(['a', 'b']));
    expect(hashOf(['ab', ''])).not.toBe(hashOf(['a', 'b']));
    expect(hashOf(['x'])).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the base tag changes with every debootstrap input', () => {
    const t = baseTag();
    expect(t).toMatch(/^localhost\/livemirror-e2e-base:[0-9a-f]{16}$/);
    expect(baseTag({ ...BASE })).toBe(t);
    expect(baseTag({ ...BASE, suite: 'trixie' })).not.toBe(t);
    expect(baseTag({ ...BASE, include: [...BASE.include, 'vim'] })).not.toBe(t);
  });

  it('the image tag changes with the context and with the host rsync, not with key order', () => {
    const ctx = buildContext(baseTag());
    expect(Object.keys(ctx).sort()).toEqual(['Dockerfile', 'sources.list']);
    const rsync = 'rsync  version 3.5.0  protocol version 32';
    const t = imageTag(ctx, rsync);
    expect(t).toMatch(/^localhost\/livemirror-e2e-node:[0-9a-f]{16}$/);
    expect(imageTag({ 'sources.list': ctx['sources.list'] ?? '', Dockerfile: ctx.Dockerfile ?? '' }, `${rsync}\n`)).toBe(t);
    expect(imageTag(ctx, 'rsync  version 3.2.7  protocol version 31')).not.toBe(t);
    expect(imageTag({ ...ctx, Dockerfile: `${ctx.Dockerfile}RUN true\n` }, rsync)).not.toBe(t);
  });
});
