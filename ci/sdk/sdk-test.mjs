// The official OpenAI Node SDK against a running jllm: plain and streamed completions and chat.
// The SDK sends "Accept: application/json" even when streaming, which jllm must still answer with SSE.
// usage: JLLM_URL=http://127.0.0.1:PORT/v1 JLLM_KEY=... node sdk-test.mjs
import OpenAI from "openai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.env.JLLM_URL, apiKey: process.env.JLLM_KEY || "none" });
let passed = 0, failed = 0;
async function test(name, fn) {
  try { await fn(); passed++; console.log(`PASS ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack || e}`); }
}

await test("models.list", async () => {
  const models = await client.models.list();
  assert.equal(models.data[0].id, "stories");
});

await test("completions", async () => {
  const r = await client.completions.create({ model: "stories", prompt: "Once upon a time", max_tokens: 12, temperature: 0 });
  assert.equal(r.choices[0].text, ", there was a little girl named Lily. She");
  assert.equal(r.usage.completion_tokens, 12);
});

await test("completions stream", async () => {
  const stream = await client.completions.create({ model: "stories", prompt: "Once upon a time", max_tokens: 12, temperature: 0, stream: true });
  let text = "", finishes = 0;
  for await (const chunk of stream) { text += chunk.choices[0].text; if (chunk.choices[0].finish_reason) finishes++; }
  assert.equal(text, ", there was a little girl named Lily. She");
  assert.equal(finishes, 1);
});

await test("chat stream with usage", async () => {
  const stream = await client.chat.completions.create({
    model: "stories", messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 8, temperature: 0, seed: 1,
    ignore_eos: true, stream: true, stream_options: { include_usage: true } });
  let role = null, text = "", usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    if (c.delta.role) role = c.delta.role;
    text += c.delta.content || "";
  }
  assert.equal(role, "assistant");
  assert.ok(text.length > 0);
  assert.equal(usage.completion_tokens, 8);
});

await test("errors are APIError with status", async () => {
  await assert.rejects(
    client.completions.create({ model: "stories", prompt: "x", temperature: -1 }),
    (e) => e.status === 400 && /temperature/.test(e.message));
  await assert.rejects(client.completions.create({ model: "nope", prompt: "x" }), (e) => e.status === 404);
});

// Tools: the server runs with --tool-call-parser hermes (chatml has no tool markup of its own); stories260K writes
// no calls by itself, so guided_choice forces a reply with one. tool_choice is left out: auto is the default.
const tools = [{ type: "function", function: { name: "get_time", description: "The time in a zone",
  parameters: { type: "object", properties: { zone: { type: "string", maxLength: 8 } }, required: ["zone"] } } }];
const forcedCall = 'Checking.\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>';

await test("tool round trip: auto by default, the call sent back with content null", async () => {
  const messages = [{ role: "user", content: "What time is it in UTC?" }];
  const r = await client.chat.completions.create({ model: "stories", messages, tools, max_tokens: 100, guided_choice: [forcedCall] });
  const msg = r.choices[0].message;
  assert.equal(r.choices[0].finish_reason, "tool_calls");
  assert.equal(msg.content, "Checking.");
  assert.equal(msg.tool_calls.length, 1);
  assert.match(msg.tool_calls[0].id, /^call_/);
  assert.equal(msg.tool_calls[0].function.name, "get_time");
  assert.deepEqual(JSON.parse(msg.tool_calls[0].function.arguments), { zone: "UTC" });
  messages.push({ role: "assistant", content: null, tool_calls: msg.tool_calls });
  messages.push({ role: "tool", tool_call_id: msg.tool_calls[0].id, content: [{ type: "text", text: "12:00" }] });
  const r2 = await client.chat.completions.create({ model: "stories", messages, tools, tool_choice: "none", max_tokens: 8 });
  assert.equal(typeof r2.choices[0].message.content, "string");
  assert.equal(r2.choices[0].message.tool_calls?.length ?? 0, 0);
});

await test("streamed tool call: the SDK's stream helper assembles the deltas", async () => {
  const stream = client.chat.completions.stream({ model: "stories", messages: [{ role: "user", content: "Time?" }], tools,
    max_tokens: 100, guided_choice: [forcedCall] });
  let content = "";
  for await (const chunk of stream) content += chunk.choices[0]?.delta?.content || "";
  const final = await stream.finalChatCompletion();
  assert.equal(content, "Checking.", "no markup streamed as content");
  assert.equal(final.choices[0].finish_reason, "tool_calls");
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, "get_time");
  assert.deepEqual(JSON.parse(call.function.arguments), { zone: "UTC" });
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
