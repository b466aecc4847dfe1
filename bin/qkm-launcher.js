#!/usr/bin/env node
import '../dist/src/cli/qkm-launcher.js';
