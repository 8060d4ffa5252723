// The peer, mailmerge 2.3.0 (../shared/peers), installed offline from Debian's Python packages into
// bench/.data/venv, and Python's aiosmtpd as an independent SMTP sink in its own process.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { data, freePort, here } from "./lib.js";

const python = "/usr/bin/python3"; // Debian's: another python3 on PATH may not see Debian's packages
const venv = join(data, "venv");
const source = join(here, "..", "..", "shared", "peers", "mailmerge");
const debian = "python3-venv python3-click python3-jinja2 python3-markdown python3-html5lib python3-aiosmtpd";

const works = (args) => spawnSync(args[0], args.slice(1), { stdio: "ignore" }).status === 0;

/** mailmerge's command, installing it when needed; or why it cannot run here. */
export function mailmerge() {
  const command = join(venv, "bin", "mailmerge");
  if (existsSync(command) && works([command, "--version"])) return { command };
  if (!existsSync(python)) return { why: `no ${python}` };
  if (!existsSync(source)) return { why: `no peer source at ${source}` };
  if (!works([python, "-c", "import venv, ensurepip, click, jinja2, markdown, html5lib"])) {
    return { why: `needs Debian's ${debian}` };
  }
  // pip builds in the source folder: build from a copy, never in ../shared.
  const copy = join(data, "peer-src", "mailmerge");
  rmSync(copy, { recursive: true, force: true });
  cpSync(source, copy, { recursive: true });
  spawnSync("chmod", ["-R", "u+w", copy]);
  rmSync(venv, { recursive: true, force: true });
  const pip = join(venv, "bin", "pip");
  if (
    !works([python, "-m", "venv", "--system-site-packages", venv]) ||
    !works([pip, "install", "-q", "--no-index", "--no-deps", "--no-build-isolation", copy]) ||
    !works([command, "--version"])
  ) {
    return { why: "mailmerge did not install into bench/.data/venv" };
  }
  return { command };
}

async function accepting(port, child) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("data", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** An SMTP sink in its own process: aiosmtpd when Debian's package is there, else the Node one. */
export async function startSink() {
  if (existsSync(python) && works([python, "-c", "import aiosmtpd"])) {
    const port = await freePort();
    const child = spawn(
      python,
      ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Sink"],
      { stdio: "ignore" },
    );
    if (await accepting(port, child)) return { port, name: "aiosmtpd", stop: () => child.kill() };
    child.kill();
  }
  const child = spawn(process.execPath, [join(here, "smtp-sink.js")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve) =>
    child.stdout.once("data", (chunk) => resolve(Number(String(chunk)))),
  );
  return { port, name: "Node smtp-server (no aiosmtpd)", stop: () => child.kill() };
}
