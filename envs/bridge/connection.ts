/**
 * One client connection to a bridge server: a ZeroMQ DEALER socket, one request
 * at a time, every request with a deadline.
 *
 * DEALER rather than REQ: a REQ socket whose reply never comes is wedged for
 * good, while a DEALER can send again. Replies carry the request's id, so a late
 * reply to a request that already timed out is recognised and dropped.
 */
import { Dealer } from 'zeromq';
import { InputError } from '../../common/errors.ts';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, endpointProblem } from './protocol.ts';
import type { Header } from './protocol.ts';

export interface ConnectionOptions {
  /** A request with no reply after this long fails (default 30 s). */
  timeoutMs?: number;
}

/** An error reply from the server, or no reply in time. */
export class BridgeError extends Error {
  constructor(
    message: string,
    /** True when the server gave no reply in time (dead or hung). */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

export class Connection {
  readonly endpoint: string;
  readonly timeoutMs: number;
  private socket: Dealer;
  /** The socket's timeouts as last set (reading one back is a native call too). */
  private socketSendTimeout = 0;
  private socketReceiveTimeout = 0;
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set after a request timed out: the peer may be gone, `reconnect` starts afresh. */
  broken = false;

  constructor(endpoint: string, options: ConnectionOptions = {}) {
    const problem = endpointProblem(endpoint);
    // Bad input, as the same check is for the Node server's bind and for a remote env id.
    if (problem) throw new InputError(`bridge: endpoint "${endpoint}": ${problem}`);
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) throw new Error(`bridge: timeoutMs must be positive, got ${timeoutMs}`);
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.socket = this.open();
  }

  private open(): Dealer {
    // linger 0: closing never waits for a dead peer to take queued messages.
    const socket = new Dealer({ linger: 0, sendTimeout: this.timeoutMs, receiveTimeout: this.timeoutMs });
    this.socketSendTimeout = this.socketReceiveTimeout = this.timeoutMs;
    socket.connect(this.endpoint);
    return socket;
  }

  /** A fresh socket (a new identity, so no stale reply can reach it). */
  reconnect(): void {
    if (this.closed) throw new BridgeError(`bridge ${this.endpoint}: the connection is closed`);
    this.socket.close();
    this.socket = this.open();
    this.broken = false;
  }

  /**
   * Sends `header` (NdArrays inside it travel as frames) and resolves with the
   * reply header. `what` names the env and command in errors.
   */
  request(header: Header, what: string, timeoutMs = this.timeoutMs): Promise<Header> {
    const run = () => this.exchange(header, what, timeoutMs);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async exchange(header: Header, what: string, timeoutMs: number): Promise<Header> {
    if (this.closed) throw new BridgeError(`${what}: the connection to ${this.endpoint} is closed`);
    const id = this.nextId++;
    const deadline = Date.now() + timeoutMs;
    const noReply = () => {
      this.broken = true;
      return new BridgeError(`${what}: no reply from ${this.endpoint} within ${timeoutMs} ms (the server died, hangs or is not running)`, true);
    };
    try {
      if (this.socketSendTimeout !== timeoutMs) this.socket.sendTimeout = this.socketSendTimeout = timeoutMs;
      await this.socket.send(encodeMessage({ v: PROTOCOL_VERSION, id, ...header }));
    } catch (error) {
      if ((error as { code?: string }).code === 'EAGAIN') throw noReply();
      throw error;
    }
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw noReply();
      // Whole milliseconds, and only when changed: a socket option is a native call.
      const wait = Math.max(1, Math.ceil(remaining));
      if (Math.abs(this.socketReceiveTimeout - wait) > 5) this.socket.receiveTimeout = this.socketReceiveTimeout = wait;
      let parts: Buffer[];
      try {
        parts = await this.socket.receive();
      } catch (error) {
        if ((error as { code?: string }).code === 'EAGAIN') throw noReply();
        throw error;
      }
      let reply: Header;
      try {
        reply = decodeMessage(parts).header;
      } catch (error) {
        throw new BridgeError(`${what}: unreadable reply from ${this.endpoint}: ${(error as Error).message}`);
      }
      if (reply.id !== id) {
        // A reply with no id answers a message the server could not read: ours, if nothing else is pending.
        if (reply.id === null && reply.ok === false) throw new BridgeError(`${what}: ${String(reply.error)}`);
        continue; // a late reply to a request that timed out
      }
      if (reply.v !== PROTOCOL_VERSION) {
        throw new BridgeError(`${what}: the server speaks protocol version ${String(reply.v)}, this client ${PROTOCOL_VERSION}`);
      }
      if (reply.ok !== true) throw new BridgeError(`${what}: ${String(reply.error ?? 'error reply without a message')}`);
      return reply;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
