// Runs the GraphQL-over-HTTP audit of graphql-http (its `serverAudits`, pinned in
// package-lock.json) against the endpoint given as the only argument, one audit after the other.
// Prints the results as JSON on stdout: a summary of passed and failed audits per requirement
// level (MUST, SHOULD, MAY) and every audit with its outcome, the reason and the response of a
// failed one. Exits 1 when a MUST or a SHOULD failed, 2 on wrong usage or an audit that could not
// run at all.
//
//   node audit.mjs http://127.0.0.1:8080/graphql

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const summary = {};
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const level = result.name.split(' ', 1)[0];
  const passed = result.status === 'ok';
  summary[level] ??= { passed: 0, failed: 0 };
  summary[level][passed ? 'passed' : 'failed'] += 1;
  const entry = { id: result.id, level, name: result.name, status: result.status };
  if (!passed) {
    entry.reason = result.reason;
    entry.responseStatus = result.response?.status;
    entry.responseContentType = result.response?.headers?.get('content-type') ?? null;
    try {
      entry.responseBody = await result.response.text();
    } catch {
      // The audit read the body already.
    }
  }
  results.push(entry);
}

console.log(JSON.stringify({ url, summary, results }, null, 2));
const failed = results.some(
  (result) => result.status !== 'ok' && (result.level === 'MUST' || result.level === 'SHOULD'),
);
process.exit(failed ? 1 : 0);
