// send to an independent SMTP sink in its own process (aiosmtpd), against bare nodemailer with the same
// connections (the floor: its CPU per letter is the budget's unit) and mailmerge sending the same letters.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { cached, generateCampaign, generatePeerData } from "./generate.js";
import { data, nodeScript, outreach } from "./lib.js";
import { mailmerge, startSink } from "./peer.js";

export default async function send(bench) {
  // Every case below, by name (without the sink's): a filter may name any of them.
  const cases = [
    "bare nodemailer, 4 connections (floor)",
    "mailmerge send (peer)",
    "send, journal fsynced",
    "send, journal without fsync",
    "send --dry-run",
    "send --outbox",
  ];
  if (!bench.wants(...cases)) return;
  const sink = await startSink();
  try {
    const peer = mailmerge();
    if (!peer.command) bench.skip("mailmerge send (peer)", peer.why);
    // 100,000 letters take minutes per tool: 1,000 and 10,000 only, and 1,000 only in --quick (10,000 by
    // all four take two minutes or more on a loaded 2-core machine).
    for (const size of bench.quick ? [1_000] : [1_000, 10_000]) {
      const folder = join(data, `campaign-${size}`);
      const peerFolder = join(data, `peer-${size}-port-${sink.port}`);
      cached(folder, "v1", () => generateCampaign(folder, size, 100));
      cached(peerFolder, "v1", () => generatePeerData(peerFolder, size, sink.port));
      const fresh = () => {
        rmSync(join(folder, ".outreach", "journal.jsonl"), { force: true });
        rmSync(join(folder, ".outreach", "sent"), { recursive: true, force: true });
      };
      const env = { OUTREACH_SMTP_URL: `smtp://127.0.0.1:${sink.port}` };
      const sinkNote = ` → ${sink.name}`;
      bench.compare([
        {
          name: `bare nodemailer, 4 connections (floor)${sinkNote}`,
          short: "bare",
          size,
          perLetter: true,
          spec: nodeScript("bare-nodemailer.js", [sink.port, size, 4]),
        },
        peer.command && {
          name: `mailmerge send (peer)${sinkNote}`,
          short: "mailmerge",
          size,
          perLetter: true,
          spec: {
            command: peer.command,
            args: [
              "--no-dry-run",
              "--no-limit",
              "--output-format",
              "raw",
              "--template",
              "template.txt",
            ].concat(["--database", "database.csv", "--config", "server.conf"]),
            cwd: peerFolder,
          },
        },
        {
          name: "send, journal fsynced",
          size,
          perLetter: true,
          spec: outreach(["send", "--yes"], folder, { env, before: fresh }),
          vs: [0, 1],
          budgetCpuRatio: 1.5,
          budgetMb: 120,
        },
        {
          name: "send, journal without fsync",
          size,
          perLetter: true,
          spec: outreach(["send", "--yes"], folder, {
            env: { ...env, OUTREACH_UNSAFE_NO_FSYNC: "1" },
            before: fresh,
          }),
          vs: 0,
        },
      ]);
    }
    // Memory flat with the list (issue 11): the letters stream, so 10,000 take no more than the budget.
    const big = join(data, "campaign-10000");
    cached(big, "v1", () => generateCampaign(big, 10_000, 100));
    const clean = () => {
      for (const path of ["outbox", ".outreach/journal.jsonl", ".outreach/sent"]) {
        rmSync(join(big, path), { recursive: true, force: true });
      }
    };
    const env = { OUTREACH_SMTP_URL: `smtp://127.0.0.1:${sink.port}` };
    // Each size of the list, 100,000 outside --quick: 120 MB up to 10,000, 200 MB at 100,000.
    for (const size of bench.sizes()) {
      const folder = join(data, `campaign-${size}`);
      cached(folder, "v1", () => generateCampaign(folder, size, 100));
      bench.row({
        name: "send --dry-run",
        size,
        spec: outreach(["send", "--dry-run"], folder, { env }),
        budgetMb: size <= 10_000 ? 120 : 200,
      });
    }
    // Writing 10,000 files with a sync each takes half a minute on a loaded machine: not in --quick.
    if (!bench.quick) {
      bench.row({
        name: "send --outbox",
        size: 10_000,
        spec: outreach(["send", "--outbox", "--yes"], big, { env, before: clean }),
        budgetMb: 120,
      });
    }
  } finally {
    sink.stop();
  }
}
