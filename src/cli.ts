#!/usr/bin/env node
import { features } from './bindings/features.js';

const [command] = process.argv.slice(2);
if (command === 'demo' || command === 'features') {
  console.log(JSON.stringify(await features(), null, 2));
} else {
  console.error('usage: inception-wasm <demo|features>');
  process.exit(2);
}
