import { describe, expect, it } from 'vitest';
import { parseAnswer } from './status-client.js';

const ok = '{"pid":1,"source":"/s","ready":true,"startedAt":0,"watches":1,"overflows":0,"settling":0,"replicas":[]}';
const answer = (s: string) => Buffer.from(s, 'utf8');

describe('parseAnswer', () => {
  it('takes the body of a 200 (what node:http sends an HTTP/1.0 request: no length, close)', () => {
    const s = parseAnswer(answer(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nConnection: close\r\n\r\n${ok}`));
    expect(s.pid).toBe(1);
  });

  it('reads the body as UTF-8 even when split inside a character', () => {
    const body = ok.replace('"/s"', '"/srv/é"');
    const whole = answer(`HTTP/1.0 200 OK\r\n\r\n${body}`);
    expect(parseAnswer(Buffer.concat([whole.subarray(0, whole.length - 60), whole.subarray(whole.length - 60)])).source).toBe('/srv/é');
  });

  it.each([
    ['nothing', '', /empty answer/],
    ['a head cut short', 'HTTP/1.1 200 OK\r\ncontent-type: x', /no end of HTTP head/],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not HTTP/],
    ['a 404 without body', 'HTTP/1.1 404 Not Found\r\n\r\n', /status 404/],
    ['an error with a body', 'HTTP/1.1 400 Bad Request\r\n\r\nexpected a list', /expected a list/],
    ['a body that is not JSON', 'HTTP/1.1 200 OK\r\n\r\n{"pid":', /JSON/],
  ])('refuses %s', (_n, text, message) => {
    expect(() => parseAnswer(answer(text))).toThrow(message);
  });
});
