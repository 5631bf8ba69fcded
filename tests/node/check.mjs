// Answers Casbin requests with node-casbin, for the differential tests in
// tests/integration/test_node_casbin.py.
//
//   node check.mjs MODEL_FILE POLICY_FILE [REQUESTS_FILE | -]
//   node check.mjs MODEL_FILE --cases CASES_FILE
//
// MODEL_FILE is policies/delegation_model.conf, POLICY_FILE a `registry policy export` (CSV), and
// REQUESTS a JSON array (from the file, or from stdin when the argument is "-" or missing) of
// requests, each [dom, sub, area, unit, act, ctx] with ctx = {at, attrs: {...}, has: {...}} as
// registry.casbin.request() builds it for pycasbin. Prints a JSON array of booleans, one per request.
// With --cases, CASES_FILE holds a JSON array of {policy: <CSV text>, requests: [...]} (many small
// organisations in one run); it prints one array of booleans per case.

import { readFileSync } from 'node:fs';
import { newEnforcer, newModelFromString, StringAdapter } from 'casbin';

const [modelFile, second, third = '-'] = process.argv.slice(2);
if (!modelFile || !second) {
  console.error('usage: node check.mjs MODEL_FILE POLICY_FILE [REQUESTS_FILE | -]\n' +
                '       node check.mjs MODEL_FILE --cases CASES_FILE');
  process.exit(2);
}
const modelText = readFileSync(modelFile, 'utf8');

async function answer(policyText, requests) {
  if (!Array.isArray(requests)) {
    throw new Error('the requests must be a JSON array');
  }
  const enforcer = await newEnforcer(newModelFromString(modelText), new StringAdapter(policyText));
  const answers = [];
  for (const [i, request] of requests.entries()) {
    if (!Array.isArray(request) || request.length !== 6) {
      throw new Error(`request ${i} is not [dom, sub, area, unit, act, ctx]: ${JSON.stringify(request)}`);
    }
    const [dom, sub, area, unit, act, ctx] = request;
    const context = { at: ctx.at, attrs: { ...ctx.attrs }, has: { ...ctx.has } };
    answers.push(await enforcer.enforce(dom, sub, area, unit, act, context));
  }
  return answers;
}

let result;
if (second === '--cases') {
  const cases = JSON.parse(readFileSync(third, 'utf8'));
  result = [];
  for (const c of cases) {
    result.push(await answer(c.policy, c.requests));
  }
} else {
  result = await answer(readFileSync(second, 'utf8'), JSON.parse(readFileSync(third === '-' ? 0 : third, 'utf8')));
}
process.stdout.write(JSON.stringify(result) + '\n');
