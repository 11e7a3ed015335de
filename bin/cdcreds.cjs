#!/usr/bin/env node
"use strict";
// CommonJS, like dist/cli.cjs: an ESM entry costs Node 20 a measurable part of the start-up (issue 7).
require("../dist/cli.cjs").main(process.argv);
