// `outreach import --into FILE`: the imported list as one recipient file with `defaults`, what every
// recipient shares written once. It must read back as the same recipients as the one-file-per-list form,
// and keep import's guarantees: never overwritten, duplicates reported, --dry-run prints what it writes.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderRecipientFileWithDefaults } from "../src/adapters/recipient-yaml.js";
import { mergeDefaults, splitDefaults } from "../src/core/file-defaults.js";
import { campaignFolder, run, snapshot } from "./support.js";

const LIST = [
  "Organisation,Email,Type,Language,Country,Tags,Salutation,Mandate,Region",
  "Mission One,one@mission.example.org,ngo,en,Norway,osce; vienna,Dear Colleagues,your work,Europe",
  'Mission Two,two@mission.example.org,ngo,fr,FR,osce,"Madame, Monsieur,",votre travail,Europe',
  'Mission Two,two-b@mission.example.org,ngo,fr,FR,osce,"Madame, Monsieur,",votre travail,Europe',
  'Mission Three,three@mission.example.org,un,en,TJ,"osce, central-asia",Dear Colleagues,your mandate,Europe',
  "",
].join("\n");

/** What the folder's reader makes of every recipient, without where it was written. */
async function recipientsOf(folder: string) {
  const listed = await run(["recipients", "--json"], { cwd: folder });
  expect(listed.exitCode).toBe(0);
  const rows = (JSON.parse(listed.stdout) as Record<string, unknown>[]).map(
    ({ file: _file, line: _line, ...row }) => row,
  );
  const { loadCampaignFolder } = await import("../src/adapters/campaign-folder.js");
  const loaded = loadCampaignFolder(folder);
  return { rows, recipients: loaded.recipients.map(({ recipient }) => recipient) };
}

describe("splitDefaults", () => {
  it("gives every recipient back through mergeDefaults, the same values in the same order", () => {
    const recipients = [
      {
        id: "a",
        organisation: "A",
        type: "ngo",
        tags: ["x", "y", "z"],
        provenance: { source: "s.csv", verified_on: "2026-02-01" },
        custom: { mandate: "m", region: "r", extra: 1 },
      },
      {
        id: "b",
        organisation: "B",
        type: "ngo",
        tags: ["x", "y"],
        provenance: { source: "s.csv", verified_on: "2026-01-01" },
        custom: { region: "r", mandate: "m" },
        notes: "only b",
      },
    ];
    const { defaults, recipients: own } = splitDefaults(recipients, ["id", "organisation", "contacts"]);
    expect(defaults).toEqual({ type: "ngo", tags: ["x", "y"], provenance: { source: "s.csv" } });
    const text = renderRecipientFileWithDefaults(defaults, own, " a comment");
    const read = parse(text) as { defaults: Record<string, unknown>; recipients: unknown[] };
    const merged = read.recipients.map((recipient) => mergeDefaults(read.defaults, recipient));
    expect(JSON.stringify(merged)).not.toBe(undefined);
    for (const [index, recipient] of merged.entries()) {
      const original = recipients[index] as Record<string, unknown>;
      expect(recipient).toEqual(original);
      // Free mappings keep their order: a custom key the two hold in another order stays each one's own.
      expect(Object.keys((recipient as { custom: object }).custom)).toEqual(
        Object.keys(original.custom as object),
      );
      expect((recipient as { tags: string[] }).tags).toEqual(original.tags);
    }
  });
});

describe("outreach import --into", { timeout: 60_000 }, () => {
  it("writes one file with defaults that reads as the same recipients as the usual files", async () => {
    const usual = campaignFolder({ "list.csv": LIST });
    const oneFile = campaignFolder({ "list.csv": LIST });
    const args = ["import", "list.csv", "--tag", "imported"];
    expect((await run(args, { cwd: usual })).exitCode).toBe(0);
    const dry = await run([...args, "--into", "recipients/missions.yaml", "--dry-run"], { cwd: oneFile });
    expect(dry.exitCode).toBe(0);
    const written = await run([...args, "--into", "recipients/missions.yaml"], { cwd: oneFile });
    expect(written.exitCode).toBe(0);
    expect(written.stdout).toContain("Wrote 3 recipients to recipients/missions.yaml.");
    const text = readFileSync(join(oneFile, "recipients", "missions.yaml"), "utf8");
    // --dry-run printed exactly what was then written (run() drops the output's last newline, as execa does).
    expect(`${dry.stdout}\n`).toBe(text);
    const file = parse(text) as { defaults: Record<string, unknown>; recipients: Record<string, unknown>[] };
    expect(file.defaults).toEqual({
      tags: ["osce"],
      provenance: { source: "list.csv", verified_on: "2026-02-01" },
    });
    expect(file.recipients.map((recipient) => Object.hasOwn(recipient, "provenance"))).toEqual([
      false,
      false,
      false,
    ]);
    for (const folder of [usual, oneFile]) {
      const check = await run(["check"], { cwd: folder });
      expect(check.stdout).toContain("No errors");
      expect(check.exitCode).toBe(0);
    }
    // Every recipient, as check, recipients and the letters see it, is the same in both folders.
    const [fromUsual, fromOne] = [await recipientsOf(usual), await recipientsOf(oneFile)];
    expect(fromOne.recipients.length).toBe(6);
    expect(JSON.stringify(fromOne.recipients)).toBe(JSON.stringify(fromUsual.recipients));
    expect(JSON.stringify(fromOne.rows)).toBe(JSON.stringify(fromUsual.rows));
    const letters = async (folder: string) => (await run(["preview"], { cwd: folder })).stdout;
    expect(await letters(oneFile)).toBe(await letters(usual));
  });

  it("never overwrites or adds to an existing file, and reports the list's recipients already in the folder", async () => {
    const folder = campaignFolder({ "list.csv": LIST });
    const into = ["--into", "recipients/missions.yaml"];
    expect((await run(["import", "list.csv", ...into], { cwd: folder })).exitCode).toBe(0);
    writeFileSync(
      join(folder, "more.csv"),
      `${LIST}Mission Four,four@mission.example.org,ngo,en,DE,osce,Dear Colleagues,your work,Europe\n`,
    );
    // The same list again, into the same file: nothing new, so nothing is written (the file is not touched).
    const written = snapshot(folder);
    for (const flags of [[], ["--update"]]) {
      const same = await run(["import", "list.csv", ...into, ...flags, "--json"], { cwd: folder });
      expect(same.exitCode).toBe(0);
      const summary = JSON.parse(same.stdout) as {
        written: string[];
        skipped: unknown[];
        unchanged: string[];
      };
      expect(summary.written).toEqual([]);
      expect(summary.skipped.length + summary.unchanged.length).toBe(3);
      expect(snapshot(folder)).toEqual(written);
    }
    const before = snapshot(folder);
    for (const flags of [[], ["--update"]]) {
      const again = await run(["import", "more.csv", ...into, ...flags], { cwd: folder });
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toContain(
        "recipients/missions.yaml already exists, and import never overwrites or adds to a file; nothing was imported (1 new recipient to write)",
      );
      expect(snapshot(folder)).toEqual(before);
    }
    // Into a new file: only the new recipient goes in; the others are named where they are.
    const other = await run(["import", "more.csv", "--into", "recipients/more.yaml", "--json"], {
      cwd: folder,
    });
    expect(other.exitCode).toBe(0);
    const summary = JSON.parse(other.stdout) as {
      created: string[];
      written: string[];
      skipped: { id: string; file: string; line: number }[];
    };
    expect(summary.created).toEqual(["mission-four"]);
    expect(summary.written).toEqual(["recipients/more.yaml"]);
    expect(summary.skipped.map(({ id, file, line }) => `${id} ${file}:${line}`)).toEqual([
      "mission-one recipients/missions.yaml:11",
      "mission-two recipients/missions.yaml:24",
      "mission-three recipients/missions.yaml:37",
    ]);
    const check = await run(["check"], { cwd: folder });
    expect(check.exitCode).toBe(0);
  });

  it("--update changes a recipient of a file with defaults in its own entry, never in the shared defaults", async () => {
    const file = [
      "defaults:",
      "  type: ngo",
      '  salutation: "Dear Colleagues,"',
      "  provenance: { source: old.csv, verified_on: 2025-01-01 }",
      "recipients:",
      "  - id: mission-one",
      "    organisation: Mission One",
      "    contacts: [{ email: one@mission.example.org }]",
      "    custom: { mandate: your work }",
      "  - id: mission-two",
      "    organisation: Mission Two",
      "    contacts: [{ email: two@mission.example.org }]",
      "    custom: { mandate: your work }",
      "",
    ].join("\n");
    const folder = campaignFolder({
      "recipients/missions.yaml": file,
      "new.csv": "Organisation,Email,Type,Salutation\nMission Two,two@mission.example.org,un,Dear Friends,\n",
    });
    const { recipients: before } = await recipientsOf(folder);
    const updated = await run(["import", "new.csv", "--update", "--json"], { cwd: folder });
    expect(updated.stderr).toBe("");
    expect(updated.exitCode).toBe(0);
    const summary = JSON.parse(updated.stdout) as {
      refused: unknown[];
      updated: { id: string; file: string; changes: { field: string; from?: unknown; to: unknown }[] }[];
    };
    expect(summary.refused).toEqual([]);
    expect(summary.updated).toEqual([
      {
        id: "mission-two",
        file: "recipients/missions.yaml",
        changes: [
          { field: "type", from: "ngo", to: "un" },
          { field: "salutation", from: "Dear Colleagues,", to: "Dear Friends" },
          { field: "provenance.source", from: "old.csv", to: "new.csv" },
          { field: "provenance.verified_on", from: "2025-01-01", to: "2026-02-01" },
        ],
      },
    ]);
    const edited = readFileSync(join(folder, "recipients", "missions.yaml"), "utf8");
    expect(edited.startsWith(file.slice(0, file.indexOf("  - id: mission-two")))).toBe(true);
    const { recipients: after } = await recipientsOf(folder);
    expect(after.find(({ id }) => id === "mission-one")).toEqual(
      before.find(({ id }) => id === "mission-one"),
    );
    expect(after.find(({ id }) => id === "mission-two")).toMatchObject({
      type: "un",
      salutation: "Dear Friends",
      provenance: { source: "new.csv", verified_on: "2026-02-01" },
    });
    expect((await run(["check"], { cwd: folder })).exitCode).toBe(0);
  });

  it("--into a file outside recipients/, not YAML, or hidden is wrong usage; nothing is written", async () => {
    const folder = campaignFolder({ "list.csv": LIST });
    const before = snapshot(folder);
    for (const [into, why] of [
      ["missions.yaml", "is not inside recipients/"],
      ["recipients/missions.csv", "is not a .yaml or .yml file"],
      ["recipients/.missions.yaml", "is a hidden name"],
    ] as const) {
      const result = await run(["import", "list.csv", "--into", into], { cwd: folder });
      expect(result.exitCode, into).toBe(2);
      expect(result.stderr, into).toContain(`--into "${into}" ${why}`);
    }
    expect(snapshot(folder)).toEqual(before);
  });
});
