// `outreach review` on a terminal: one answer at a time, with who sent it, when, what it answers and its own
// words; the outcome and a note are asked for and recorded as `log --reply` records them.
import type { IO } from "../adapters/terminal.js";
import type { IntakeItem } from "../core/intake.js";
import { type JournalState, OUTCOME_DESCRIPTIONS, OUTCOMES, type Outcome } from "../core/journal.js";
import type { Plan } from "../core/plan.js";
import { EXIT, UserError } from "../errors.js";
import { log } from "./log.js";
import { campaignOf, ownWords, recordAssignment, recordTriage } from "./review.js";

type Step = "record" | "other" | "dismiss" | "skip" | "quit";

async function prompts() {
  return import("@inquirer/prompts");
}

function interrupted(error: unknown): never {
  if (error instanceof Error && error.name === "ExitPromptError") {
    throw new UserError("interrupted; what you recorded so far is kept", { exitCode: EXIT.interrupted });
  }
  throw error;
}

function letterAnswered(state: JournalState, item: IntakeItem): string {
  const id = item.received.in_reply_to;
  if (!id)
    // A probable bounce says why it is probable on its own line: its sender is a mail system, not a contact.
    return item.match === "probable" && item.received.kind !== "bounce"
      ? "no letter named (the sender is their contact)"
      : "no letter named";
  for (const delivery of state.deliveries.values()) {
    if (delivery.messageId === id) {
      const stage =
        delivery.stage === "appeal" ? "the appeal" : delivery.stage.replace("followup-", "follow-up ");
      return `${stage} to ${delivery.recipient} of ${delivery.sentAt?.slice(0, 10) ?? "?"}: "${delivery.subject ?? ""}"`;
    }
  }
  return id;
}

async function show(root: string, state: JournalState, item: IntakeItem, io: IO): Promise<void> {
  const { received } = item;
  const out = io.promptOutput; // the conversation is drawn where the questions are
  out.write(`\n${io.err.bold(received.subject ?? "(no subject)")}\n`);
  out.write(`  from     ${received.from ?? "unknown sender"}\n`);
  out.write(`  date     ${received.date ?? "?"}\n`);
  out.write(`  answers  ${letterAnswered(state, item)}\n`);
  if (item.recipient)
    out.write(
      `  ${item.match === "probable" ? "probably" : "from    "} ${item.recipient} (${item.campaign})${isBounce(item) && item.match === "probable" ? ": a probable bounce (no letter of ours named, a failed address is theirs)" : ""}\n`,
    );
  if (received.failures?.length)
    out.write(
      `  failed   ${received.failures.map((f) => `${f.address} ${f.status} (${f.action})`).join(", ")}\n`,
    );
  if (received.note) out.write(`  note     ${received.note}\n`);
  out.write(`\n${(await ownWords(root, item)).replace(/^/gm, "  │ ")}\n\n`);
}

async function pickRecipient(plan: Plan, io: IO): Promise<string> {
  const { search } = await prompts();
  return search<string>(
    {
      message: "Which recipient sent it? (type an id, organisation or address)",
      source: (term) => {
        const text = (term ?? "").toLowerCase();
        return plan.recipients
          .filter(({ recipient }) =>
            [
              recipient.id,
              recipient.organisation,
              ...recipient.contacts.map((contact) => contact.email),
            ].some((value) => value.toLowerCase().includes(text)),
          )
          .slice(0, 20)
          .map(({ recipient }) => ({
            value: recipient.id,
            name: `${recipient.id} — ${recipient.organisation}`,
          }));
      },
    },
    { output: io.promptOutput },
  ).catch(interrupted);
}

/** A bounce that says which addresses failed: once a person says whose it is, nothing more is asked. */
function isBounce(item: IntakeItem): boolean {
  return item.received.kind === "bounce" && (item.received.failures ?? []).length > 0;
}

async function askStep(item: IntakeItem, io: IO): Promise<Step> {
  const { select } = await prompts();
  const choices: { value: Step; name: string }[] =
    item.recipient === ""
      ? [
          { value: "other", name: "assign it to a recipient" },
          { value: "dismiss", name: "dismiss: it concerns no recipient" },
        ]
      : [
          {
            value: "record",
            name: isBounce(item)
              ? `yes, it is their letter that bounced: record the bounce for ${item.recipient}`
              : item.match === "probable"
                ? `yes, it is from ${item.recipient}: record its outcome`
                : "record its outcome",
          },
          { value: "other", name: "it is from another recipient" },
          { value: "dismiss", name: "dismiss: it concerns no recipient" },
        ];
  choices.push({ value: "skip", name: "leave it for later" }, { value: "quit", name: "stop reviewing" });
  return select<Step>({ message: "What is it?", choices }, { output: io.promptOutput }).catch(interrupted);
}

export async function reviewOnTerminal(root: string, plan: Plan, state: JournalState, io: IO): Promise<void> {
  const items = [...state.intake.queue, ...state.intake.holdingPen];
  let recorded = 0;
  for (const [index, item] of items.entries()) {
    io.promptOutput.write(io.err.dim(`— ${index + 1} of ${items.length} —`));
    await show(root, state, item, io);
    const step = await askStep(item, io);
    if (step === "quit") break;
    if (step === "skip") continue;
    if (step === "dismiss") {
      await recordTriage(root, io, item, "dismiss", "", "");
      io.promptOutput.write("Dismissed.\n");
      continue;
    }
    let { campaign, recipient } = item;
    if (step === "other") {
      ({ campaign, recipient } = campaignOf(plan, state, await pickRecipient(plan, io), undefined));
    }
    if (isBounce(item)) {
      io.stderr.write(`${await recordAssignment(root, io, state, item, campaign, recipient)}\n`);
      recorded++;
      continue;
    }
    if (step === "other") await recordTriage(root, io, item, "assign", campaign, recipient);
    const { select, input } = await prompts();
    const outcome = await select<Outcome>(
      {
        message: "What was the answer?",
        choices: OUTCOMES.map((value) => ({ value, description: OUTCOME_DESCRIPTIONS[value] })),
      },
      { output: io.promptOutput },
    ).catch(interrupted);
    const note = await input({ message: "A note (optional):" }, { output: io.promptOutput }).catch(
      interrupted,
    );
    await log(
      { dir: root, id: recipient, campaign, reply: item.messageId, outcome, ...(note ? { note } : {}) },
      io,
    );
    recorded++;
  }
  io.stderr.write(`Reviewed ${recorded}; outreach review --json lists what is left.\n`);
}
