#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so there is no build step.
require('tsx/cjs/api').register();
require('../lib/cli.ts').main(process.argv.slice(2));
