// The outbox is where a letter "sent" without an SMTP server lives: once `deliver` says it is written, the
// journal records it as sent and it is never written again. So the .eml must survive a power cut under its
// name: its contents flushed before it is renamed into place, and the folder flushed after. A power cut
// cannot be staged in a test; what the disk is told, and in what order, can be watched, on real files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { tempFolder } from "./support.js";

const calls = vi.hoisted(() => ({ log: [] as string[], paths: new Map<number, string>() }));

vi.mock("node:fs", async (original) => {
  const fs = await original<typeof import("node:fs")>();
  const openSync = ((path: string, ...rest: unknown[]) => {
    const descriptor = (fs.openSync as (...args: unknown[]) => number)(path, ...rest);
    calls.paths.set(descriptor, String(path));
    return descriptor;
  }) as typeof fs.openSync;
  const fsyncSync: typeof fs.fsyncSync = (descriptor) => {
    calls.log.push(`fsync ${calls.paths.get(descriptor)}`);
    fs.fsyncSync(descriptor);
  };
  const renameSync: typeof fs.renameSync = (from, to) => {
    calls.log.push(`rename ${String(from)} -> ${String(to)}`);
    fs.renameSync(from, to);
  };
  const replaced = { openSync, fsyncSync, renameSync };
  return { ...fs, ...replaced, default: { ...fs, ...replaced } };
});

const { outboxTransport } = await import("../src/adapters/transports/outbox.js");

function letter(recipient: string, stage = "appeal") {
  return {
    raw: [Buffer.from(`Subject: to ${recipient}\r\n\r\nDear ${recipient},\r\n`)],
    envelope: { from: "a@example.org", to: [`${recipient}@example.org`] },
    messageId: `<${recipient}.${stage}@example.org>`,
    campaign: "appeal",
    recipient,
    stage,
    test: false,
  };
}

beforeEach(() => {
  calls.log.length = 0;
});

describe("the outbox", () => {
  it("flushes each letter, then renames it into place, then flushes the folder, before saying it is written", async () => {
    const root = tempFolder();
    const transport = outboxTransport(root);
    await transport.prepare?.({ campaign: "appeal", test: false });
    for (const [recipient, stage] of [
      ["ohchr", "appeal"],
      ["osce", "followup-1"],
    ] as const) {
      calls.log.length = 0;
      const result = await transport.deliver(letter(recipient, stage));
      expect(result.status).toBe("sent");
      const folder = join(root, "outbox", "appeal");
      const file = join(folder, `${recipient}${stage === "appeal" ? "" : `.${stage}`}.eml`);
      const aside = join(
        folder,
        `.${recipient}${stage === "appeal" ? "" : `.${stage}`}.eml.${process.pid}.tmp`,
      );
      expect(calls.log).toEqual([`fsync ${aside}`, `rename ${aside} -> ${file}`, `fsync ${folder}`]);
      expect(readFileSync(file, "utf8")).toBe(
        `X-Unsent: 1\r\nSubject: to ${recipient}\r\n\r\nDear ${recipient},\r\n`,
      );
    }
  });

  it("skips the flushes only when asked to (OUTREACH_UNSAFE_NO_FSYNC, for benchmarks)", async () => {
    const root = tempFolder();
    const transport = outboxTransport(root, { durable: false });
    await transport.prepare?.({ campaign: "appeal", test: false });
    expect((await transport.deliver(letter("icrc"))).status).toBe("sent");
    expect(calls.log.filter((call) => call.startsWith("fsync"))).toEqual([]);
  });
});
