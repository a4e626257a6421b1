// The package's `fgac` bin (built to dist/cli.js, started by bin/fgac.mjs): runs the command
// with the process's arguments and exits with its code.
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
