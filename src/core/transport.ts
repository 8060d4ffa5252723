// The port every transport implements (outbox, SMTP): hand over one composed message, say plainly what happened.
import type { TransportKind } from "./journal.js";

/**
 * A composed message, byte for byte as it goes on the wire, in pieces: an attachment is one piece shared by
 * every letter that carries it, never copied into each.
 */
export type RawMessage = readonly Buffer[];

export interface OutgoingMessage {
  raw: RawMessage;
  /** Envelope sender and every recipient (To and Cc). */
  envelope: { from: string; to: string[] };
  messageId: string;
  campaign: string;
  recipient: string;
  /** "appeal", "followup-1", … */
  stage: string;
  /** A test send (--to-self): nothing about it is recorded. */
  test: boolean;
  /**
   * Given to a transport that `awaitsRecord`: resolves once this try's attempt is on disk, rejects when the
   * journal could not record it. The message is handed over (SMTP's final ".") only after it resolves, and
   * never if it rejects: then deliver() gives the message up without handing it over and resolves to any
   * failure (the loop reports the letter as not sent).
   */
  recorded?: Promise<void>;
}

export type DeliveryResult =
  | {
      status: "sent";
      response: string;
      accepted: string[];
      rejected: { address: string; response: string }[];
      serverMessageId?: string;
    }
  | {
      status: "failed";
      /** transient: try again later; permanent: the server refused it; auth: the login was refused. */
      kind: "transient" | "permanent" | "auth";
      /** The server could not be reached at all, so every further letter would fail the same way. */
      unreachable?: boolean;
      /** The server went silent at a step before the message was handed over. */
      timedOut?: boolean;
      /** The user stopped the run (Ctrl-C) while this letter waited: it was not handed over. */
      interrupted?: boolean;
      code?: number;
      response: string;
    }
  | {
      status: "uncertain";
      reason: string;
      /** The server took the message and then said nothing for the whole long wait. */
      timedOut?: boolean;
    };

export interface Transport {
  kind: TransportKind;
  /** For people: where the letters go, e.g. "smtp://appeal@smtp.example.org:587 (STARTTLS)". Never a password. */
  description: string;
  /** How many messages may be in flight at once. */
  concurrency: number;
  /**
   * deliver() may start before the attempt is on disk, and waits for `OutgoingMessage.recorded` at the
   * moment of the hand-off itself: SMTP's envelope and data, which a server never acts on without the final
   * ".", overlap the journal's sync. Without it, deliver() is called once the attempt is on disk.
   */
  awaitsRecord?: boolean;
  /**
   * Gathers what sending needs from the user (a password from a file or a prompt) before anything is
   * recorded: a missing password then stops the run with the journal untouched.
   */
  prepare?(target: { campaign: string; test: boolean }): Promise<void>;
  /**
   * Connects (and logs in) before the first letter, so a wrong password or a server that cannot be reached
   * stops the run before anything is recorded. Resolves to the failure, or undefined when ready.
   */
  open?(): Promise<Extract<DeliveryResult, { status: "failed" }> | undefined>;
  deliver(message: OutgoingMessage): Promise<DeliveryResult>;
  /**
   * The user asked to stop: letters (and a connection being opened) that are waiting on the server before
   * their message was handed over resolve at once as failed with `interrupted`; those whose message the
   * server has keep waiting for its answer.
   */
  interrupt?(): void;
  close(): Promise<void>;
}
