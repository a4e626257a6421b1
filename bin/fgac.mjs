#!/usr/bin/env node
// The `fgac` command (npx fgac generate schema.zed --out src/authz.ts): see dist/cli.js.
import "../dist/cli.js";
