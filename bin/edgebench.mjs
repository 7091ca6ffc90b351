#!/usr/bin/env node
// The `edgebench` command: runs main/cli.ts through tsx so it works right after `npm install`.
import { register } from 'tsx/esm/api'

register()
await import('../main/cli.ts')
