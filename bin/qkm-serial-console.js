#!/usr/bin/env node
import '../dist/src/cli/qkm-serial-console.js';
