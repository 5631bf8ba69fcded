// Answers Casbin requests with node-casbin, for the differential test tests/integration/test_node_casbin.py.
//
//   node check.mjs MODEL_FILE POLICY_FILE [REQUESTS_FILE | -]
//
// MODEL_FILE is policies/delegation_model.conf, POLICY_FILE a `registry policy export` (CSV), and
// REQUESTS a JSON array (from the file, or from stdin when the argument is "-" or missing) of
// requests, each [dom, sub, area, unit, act, ctx] with ctx = {at, attrs: {...}, has: {...}} as
// registry.casbin.request() builds it for pycasbin. Prints a JSON array of booleans, one per request.

import { readFileSync } from 'node:fs';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';

const [modelFile, policyFile, requestsFile = '-'] = process.argv.slice(2);
if (!modelFile || !policyFile) {
  console.error('usage: node check.mjs MODEL_FILE POLICY_FILE [REQUESTS_FILE | -]');
  process.exit(2);
}

const model = newModelFromString(readFileSync(modelFile, 'utf8'));
const enforcer = await newEnforcer(model, new StringAdapter(readFileSync(policyFile, 'utf8')));
const requests = JSON.parse(readFileSync(requestsFile === '-' ? 0 : requestsFile, 'utf8'));
if (!Array.isArray(requests)) {
  throw new Error('the requests must be a JSON array');
}

const answers = [];
for (const [i, request] of requests.entries()) {
  if (!Array.isArray(request) || request.length !== 6) {
    throw new Error(`request ${i} is not [dom, sub, area, unit, act, ctx]: ${JSON.stringify(request)}`);
  }
  const [dom, sub, area, unit, act, ctx] = request;
  const context = { at: ctx.at, attrs: { ...ctx.attrs }, has: { ...ctx.has } };
  answers.push(await enforcer.enforce(dom, sub, area, unit, act, context));
}
process.stdout.write(JSON.stringify(answers) + '\n');
