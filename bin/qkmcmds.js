#!/usr/bin/env node
import '../dist/src/cli/qkmcmds.js';
