// Which column of an imported list fills which field of a recipient: the common spellings of each header
// (e-mail, Email Address, Organization, …), what --map says, and where the other columns go (custom, or
// nowhere with --strict).
import { EXIT, UserError } from "../errors.js";
import { didYouMean } from "./suggest.js";
import { showText } from "./text-rules.js";

/** The fields a column can fill; `custom.NAME` and `skip` besides. */
export const IMPORT_FIELDS = [
  "id",
  "organisation",
  "type",
  "country",
  "tags",
  "language",
  "salutation",
  "honorific",
  "complimentary_close",
  "address_block",
  "email",
  "cc",
  "name",
  "first_name",
  "last_name",
  "role",
  "web_form",
  "post",
  "fax",
  "phone",
  "website",
  "source",
  "verified_on",
  "notes",
] as const;

export type ImportField = (typeof IMPORT_FIELDS)[number] | `custom.${string}` | "skip";

/** Fields that several columns may fill: each email column is a contact, tag columns add up. */
const REPEATABLE = new Set<string>(["email", "cc", "tags"]);

// Header spellings, compared without case, accents, spaces or punctuation ("E-Mail Address" → emailaddress).
const SPELLINGS: Record<string, ImportField> = {};
const spell = (field: ImportField, ...names: string[]) => {
  for (const name of names) SPELLINGS[name] = field;
};
spell("id", "id", "recipientid", "key");
spell(
  "organisation",
  "organisation",
  "organization",
  "org",
  "organisationname",
  "organizationname",
  "nameoforganisation",
  "nameoforganization",
  "institution",
  "body",
  "entity",
  "agency",
  "mission",
  "company",
);
spell(
  "type",
  "type",
  "bodytype",
  "recipienttype",
  "organisationtype",
  "organizationtype",
  "category",
  "kind",
);
spell("country", "country", "countrycode", "nation");
spell("tags", "tags", "tag", "labels", "label", "groups", "group");
spell("language", "language", "lang", "languagecode", "preferredlanguage", "locale");
spell("salutation", "salutation", "greeting", "dear");
spell("honorific", "honorific", "formofaddress", "addressee");
spell("complimentary_close", "complimentaryclose", "closing", "signoff", "valediction");
spell("address_block", "addressblock");
spell(
  "email",
  "email",
  "emailaddress",
  "mail",
  "email1",
  "email2",
  "email3",
  "primaryemail",
  "workemail",
  "secondaryemail",
  "otheremail",
  "courriel",
);
spell("cc", "cc", "ccemail", "ccaddress", "copy", "copyto");
spell("name", "name", "contactname", "fullname", "contact", "contactperson", "person");
spell("first_name", "firstname", "givenname", "forename");
spell("last_name", "lastname", "surname", "familyname");
spell("role", "role", "title", "jobtitle", "position", "function");
spell("web_form", "webform", "contactform", "onlineform");
spell("post", "postaladdress", "address", "mailingaddress", "post");
spell("fax", "fax", "faxnumber");
spell("phone", "phone", "telephone", "tel", "phonenumber", "mobile");
spell("website", "website", "web", "url", "homepage", "webpage", "site");
spell("source", "source", "provenance");
spell("verified_on", "verifiedon", "verified", "lastverified", "dateverified", "checkedon");
spell("notes", "notes", "note", "comments", "comment", "remarks");

function headerKey(header: string): string {
  return header
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

/** The field `--map` names, in the vocabulary above or as written in a recipient file (contacts.email). */
export function parseMapField(written: string): ImportField {
  const field = written.trim();
  if (field === "" || field === "-" || field === "skip") return "skip";
  if (field.startsWith("custom.")) {
    const name = field.slice("custom.".length);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(`--map: ${showText(field)} is not a custom field name`, {
        exitCode: EXIT.usage,
        hint: "custom field names are letters, digits and _, like custom.mandate",
      });
    }
    return field as ImportField;
  }
  const plain = field.replace(/^(contacts(\[\d+\])?|channels|provenance)\./, "").replace(/-/g, "_");
  if ((IMPORT_FIELDS as readonly string[]).includes(plain)) return plain as ImportField;
  const suggestion = didYouMean(plain, IMPORT_FIELDS);
  throw new UserError(`--map: no recipient field is called ${showText(field)}`, {
    exitCode: EXIT.usage,
    hint: `${suggestion ? `did you mean "${suggestion}"? ` : ""}fields: ${IMPORT_FIELDS.join(", ")}, custom.NAME, or skip`,
  });
}

export interface ColumnPlan {
  /** Field per column index; columns that fill nothing are absent. */
  fields: Map<number, ImportField>;
  /** Columns kept as custom fields because no field has their name. */
  toCustom: string[];
  /** Columns left out (--strict, or --map COLUMN=skip). */
  skipped: string[];
}

/**
 * The field of each column. `maps` are the user's --map COLUMN=FIELD pairs; a column no spelling or map
 * names goes to custom under a name made from its header, or is skipped with `strict`.
 */
export function planColumns(
  columns: readonly string[],
  maps: readonly string[],
  options: { strict?: boolean; idFrom?: string } = {},
): ColumnPlan {
  const given = new Map<number, ImportField>();
  const findColumn = (name: string, flag: string): number => {
    const wanted = name.trim().toLowerCase();
    const index = columns.findIndex((column) => column.toLowerCase() === wanted);
    const again = columns.findIndex((column, at) => at > index && column.toLowerCase() === wanted);
    if (index !== -1 && again !== -1) {
      throw new UserError(
        `${flag}: the file has two columns named ${showText(columns[index] ?? name)} (columns ${index + 1} and ${again + 1}), so which one is meant is unclear`,
        { exitCode: EXIT.usage, hint: "rename one of them in the file's header row" },
      );
    }
    if (index !== -1) return index;
    const suggestion = didYouMean(name, columns);
    throw new UserError(`${flag}: the file has no column ${showText(name)}`, {
      exitCode: EXIT.usage,
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : `its columns: ${columns.map((column) => `"${column}"`).join(", ")}`,
    });
  };
  for (const map of maps) {
    const equals = map.lastIndexOf("=");
    if (equals <= 0) {
      throw new UserError(`--map ${showText(map)} must be written COLUMN=FIELD`, {
        exitCode: EXIT.usage,
        hint: 'for example --map "Head of mission=name" or --map Remarks=notes',
      });
    }
    given.set(findColumn(map.slice(0, equals), "--map"), parseMapField(map.slice(equals + 1)));
  }
  if (options.idFrom !== undefined) given.set(findColumn(options.idFrom, "--id-from"), "id");

  const plan: ColumnPlan = { fields: new Map(), toCustom: [], skipped: [] };
  const customNames = new Set<string>();
  columns.forEach((column, index) => {
    const spelled = SPELLINGS[headerKey(column)];
    const field =
      given.get(index) ?? (spelled === "id" && options.idFrom === undefined ? undefined : spelled);
    if (field === "skip") {
      plan.skipped.push(column || `column ${index + 1}`);
      return;
    }
    if (field) {
      plan.fields.set(index, field);
      return;
    }
    if (options.strict || column === "") {
      plan.skipped.push(column || `column ${index + 1}`);
      return;
    }
    let name = customName(column, index);
    for (let suffix = 2; customNames.has(name); suffix++) name = `${customName(column, index)}_${suffix}`;
    customNames.add(name);
    plan.toCustom.push(column);
    plan.fields.set(index, `custom.${name}`);
  });
  refuseTwice(columns, plan);
  return plan;
}

/** A custom field name from a header: "Head of mission" → head_of_mission. */
function customName(column: string, index: number): string {
  const name = column
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "") return `column_${index + 1}`;
  return /^[0-9]/.test(name) ? `column_${name}` : name;
}

/** Two columns filling one field that holds one value: which one is meant is the user's call. */
function refuseTwice(columns: readonly string[], plan: ColumnPlan): void {
  const byField = new Map<string, number>();
  for (const [index, field] of plan.fields) {
    if (REPEATABLE.has(field)) continue;
    const first = byField.get(field);
    if (first === undefined) {
      byField.set(field, index);
      continue;
    }
    const sameName = columns[first]?.toLowerCase() === columns[index]?.toLowerCase();
    throw new UserError(`the columns "${columns[first]}" and "${columns[index]}" both fill ${field}`, {
      exitCode: EXIT.usage,
      hint: sameName
        ? `their names are the same (columns ${first + 1} and ${index + 1}): rename one of them in the file's header row`
        : `say which one with --map, e.g. --map "${columns[index]}=custom.${customName(columns[index] ?? "", index)}" or --map "${columns[index]}=skip"`,
    });
  }
}
