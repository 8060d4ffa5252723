// Writes a new letter folder's files on a thread of its own (letter-writer-thread.ts), in batches, while the
// main thread renders and composes the letters that follow. Creating a file costs the system about as much
// as composing its letter, so at 10,000 letters the two together take about the time of the longer one,
// where one after the other they took the sum. Each file's bytes are copied into the batch as it is added
// (the caller may reuse its pieces), and at most a few batches are on their way at once, so memory does not
// grow with the list. A failure is kept, with the file's place in the folder as its path, and thrown by the
// next call.

import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { threadStarted } from "./young-generation.js";

/** Files the thread is given at once: their names, where each ends in `bytes`, and the bytes. */
export interface Batch {
  names: string[];
  ends: number[];
  bytes: ArrayBuffer;
}

/** What the thread says: a batch is done, or a file failed (and nothing after it is written). */
export type FromWriter =
  | { done: number }
  | { failed: { name: string; message: string; code?: string; errno?: number; syscall?: string } };

/** A batch is sent when it holds this many bytes or files; at most this many batches are on their way. */
const BATCH_BYTES = 256 * 1024;
const BATCH_FILES = 128;
const ON_THEIR_WAY = 4;

export class LetterWriter {
  private readonly thread: Worker;
  private names: string[] = [];
  private ends: number[] = [];
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private length = 0;
  private onTheirWay = 0;
  private failure: Error | undefined;
  private exited = false;
  private readonly waiting: (() => void)[] = [];

  /** `aside`: where the files are created; `folder`: the place they are for, which failures name. */
  constructor(
    aside: string,
    private readonly folder: string,
  ) {
    this.thread = new Worker(new URL("./letter-writer-thread.js", import.meta.url), {
      workerData: { folder: aside },
      // It holds a batch or two at a time: a small heap of its own, not the main thread's defaults.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    this.thread.once("online", threadStarted);
    this.thread.on("message", (message: FromWriter) => {
      if ("failed" in message) {
        const { name, ...fields } = message.failed;
        this.fail(Object.assign(new Error(fields.message), fields, { path: join(this.folder, name) }));
      } else {
        this.onTheirWay--;
        this.wake();
      }
    });
    this.thread.on("error", (error) => this.fail(error));
    this.thread.on("exit", () => {
      this.exited = true;
      if (this.onTheirWay > 0) this.fail(new Error("the thread that writes the letters stopped"));
      this.wake();
    });
  }

  /** Adds the file `name` with these pieces (`size` bytes) to the batch; throws a failure of a file before it. */
  add(name: string, pieces: readonly (Buffer | string)[], size: number): void {
    if (this.failure) throw this.failure;
    if (this.length + size > this.bytes.length) {
      this.send();
      if (size > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(size);
    }
    for (const piece of pieces) {
      this.length +=
        typeof piece === "string"
          ? this.bytes.write(piece, this.length)
          : piece.copy(this.bytes, this.length);
    }
    this.names.push(name);
    this.ends.push(this.length);
    if (this.names.length >= BATCH_FILES || this.length >= BATCH_BYTES) this.send();
  }

  /** Resolves when there is room for another batch; throws a failure. */
  async room(): Promise<void> {
    while (this.onTheirWay >= ON_THEIR_WAY && !this.failure && !this.exited) await this.wait();
    if (this.failure) throw this.failure;
  }

  /** Sends what is left and resolves when every file is written; throws a failure. The thread ends. */
  async close(): Promise<void> {
    if (!this.failure) this.send();
    while (this.onTheirWay > 0 && !this.failure && !this.exited) await this.wait();
    await this.thread.terminate();
    if (this.failure) throw this.failure;
  }

  /** Ends the thread without writing more (the folder is about to be removed). */
  async stop(): Promise<void> {
    await this.thread.terminate();
  }

  private send(): void {
    if (this.names.length === 0) return;
    // The batch's memory goes to the thread (transferred, not copied); the next batch has its own.
    const bytes = this.bytes.buffer as ArrayBuffer;
    const batch: Batch = { names: this.names, ends: this.ends, bytes };
    this.thread.postMessage(batch, [bytes]);
    this.onTheirWay++;
    this.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.names = [];
    this.ends = [];
    this.length = 0;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
