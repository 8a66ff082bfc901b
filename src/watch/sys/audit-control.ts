import { EAGAIN, EINTR, errnoName } from './errno.js';
import { pollFds } from './fd-poll.js';
import { isLittleEndian, type AuditFfi } from './audit-ffi.js';
import {
  AUDIT_ADD_RULE,
  AUDIT_DEL_RULE,
  AUDIT_GET,
  AUDIT_LIST_RULES,
  AUDIT_SET,
  decodeRule,
  decodeStatus,
  encodeNlMessage,
  encodeRule,
  encodeStatus,
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  nlError,
  parseNlMessages,
  type AuditRule,
  type AuditStatus,
} from './audit-netlink.js';

/** A failed audit netlink request; `errno` is positive (EPERM, EEXIST, ENOENT, ...). */
export class AuditRequestError extends Error {
  override readonly name = 'AuditRequestError';
  constructor(
    readonly request: string,
    readonly errno: number,
  ) {
    super(`${request}: ${errnoName(errno)}`);
  }
}

/**
 * The audit control channel: one unicast netlink socket to the kernel for AUDIT_GET/SET and the
 * rule requests.
 *
 * Contract: one request at a time (callers await each). Every request asks for an ack and
 * resolves once the kernel answered (data, then ack or NLMSG_DONE); a negative ack rejects with
 * AuditRequestError; no answer within `timeoutMs` rejects with errno ETIMEDOUT. Waiting happens in
 * poll(2) on the worker pool. `close()` releases the socket; it is idempotent.
 */
export class AuditControl {
  #seq = 1;
  readonly #buf = Buffer.alloc(64 * 1024);

  private constructor(
    private readonly ffi: AuditFfi,
    private fd: number,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the socket; rejects with AuditRequestError('socket', errno) when the kernel has no audit. */
  static open(ffi: AuditFfi, timeoutMs = 2000): AuditControl {
    const fd = ffi.openAuditSocket();
    if (fd < 0) throw new AuditRequestError('socket(NETLINK_AUDIT)', -fd);
    return new AuditControl(ffi, fd, timeoutMs);
  }

  async getStatus(): Promise<AuditStatus> {
    const [reply] = await this.#request('AUDIT_GET', AUDIT_GET, Buffer.alloc(0), AUDIT_GET);
    if (!reply) throw new AuditRequestError('AUDIT_GET (no status in the reply)', 5);
    return decodeStatus(reply, isLittleEndian);
  }

  async setStatus(s: Partial<AuditStatus> & { mask: number }): Promise<void> {
    await this.#request('AUDIT_SET', AUDIT_SET, encodeStatus(s, isLittleEndian));
  }

  async addRule(r: AuditRule): Promise<void> {
    await this.#request('AUDIT_ADD_RULE', AUDIT_ADD_RULE, encodeRule(r, isLittleEndian));
  }

  async deleteRule(r: AuditRule): Promise<void> {
    await this.#request('AUDIT_DEL_RULE', AUDIT_DEL_RULE, encodeRule(r, isLittleEndian));
  }

  async listRules(): Promise<AuditRule[]> {
    const replies = await this.#request('AUDIT_LIST_RULES', AUDIT_LIST_RULES, Buffer.alloc(0), AUDIT_LIST_RULES, true);
    return replies.map((p) => decodeRule(p, isLittleEndian));
  }

  /** Sends a userspace audit message (type 1100..1199, 2100..2999; needs CAP_AUDIT_WRITE). */
  async sendUserMessage(type: number, text: string): Promise<void> {
    await this.#request('audit user message', type, Buffer.from(text + '\0', 'utf8'));
  }

  close(): void {
    if (this.fd >= 0) this.ffi.close(this.fd);
    this.fd = -1;
  }

  /**
   * Sends one request and collects the payloads of replies of type `dataType` until the ack (or,
   * with `dump`, until NLMSG_DONE: the kernel answers LIST_RULES from a thread of its own, and the
   * ack may come before the data).
   */
  async #request(name: string, type: number, payload: Buffer, dataType?: number, dump = false): Promise<Buffer[]> {
    if (this.fd < 0) throw new AuditRequestError(name, 9 /* EBADF */);
    const seq = this.#seq++;
    const msg = encodeNlMessage(type, NLM_F_REQUEST | NLM_F_ACK, seq, payload, isLittleEndian);
    const sent = this.ffi.sendToKernel(this.fd, msg, msg.length);
    if (sent < 0) throw new AuditRequestError(name, -sent);
    const data: Buffer[] = [];
    let acked = false;
    let done = !dump;
    let gotData = dataType === undefined || dump;
    while (!(acked && done && gotData)) {
      const n = this.ffi.recv(this.fd, this.#buf, this.#buf.length);
      if (n === -EINTR) continue;
      if (n === -EAGAIN) {
        if (!(await this.#poll())) throw new AuditRequestError(`${name} (no answer within ${this.timeoutMs} ms)`, 110 /* ETIMEDOUT */);
        continue;
      }
      if (n < 0) throw new AuditRequestError(name, -n);
      for (const m of parseNlMessages(this.#buf, n, isLittleEndian)) {
        if (m.seq !== seq) continue; // an answer to an earlier request that timed out
        if (m.type === NLMSG_ERROR) {
          const err = nlError(m.payload, isLittleEndian);
          if (err !== 0) throw new AuditRequestError(name, -err);
          acked = true;
        } else if (m.type === NLMSG_DONE) {
          done = true;
        } else if (m.type === dataType) {
          data.push(Buffer.from(m.payload));
          gotData = true;
        }
      }
    }
    return data;
  }

  async #poll(): Promise<boolean> {
    return (await this.ffi.pollAsync(pollFds([this.fd]), 1, this.timeoutMs)) > 0;
  }
}
