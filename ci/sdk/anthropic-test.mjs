// The official Anthropic Node SDK against a running jllm: messages.create (plain and with tools), messages.stream with
// finalMessage, countTokens and errors. The model is a tiny story model: these check mechanics and shapes, not quality.
// usage: JLLM_URL=http://127.0.0.1:PORT/v1 JLLM_KEY=... node anthropic-test.mjs   (the SDK adds /v1/messages itself)
import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";

const baseURL = process.env.JLLM_URL.replace(/\/v1\/?$/, "");
const client = new Anthropic({ baseURL, apiKey: process.env.JLLM_KEY || "none", maxRetries: 0 });
let passed = 0, failed = 0;
async function test(name, fn) {
  try { await fn(); passed++; console.log(`PASS ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack || e}`); }
}

const story = { model: "stories", max_tokens: 8, temperature: 0, messages: [{ role: "user", content: "Tell me a story" }] };
const tools = [{
  name: "get_weather", description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"] },
}];
const weather = { model: "stories", max_tokens: 80, temperature: 0, messages: [{ role: "user", content: "Weather in Paris?" }],
  tools, tool_choice: { type: "tool", name: "get_weather" } };

function assertWeather(block) {
  assert.equal(block.type, "tool_use");
  assert.match(block.id, /^toolu_/);
  assert.equal(block.name, "get_weather");
  assert.equal(typeof block.input.city, "string");
  assert.ok(["celsius", "fahrenheit"].includes(block.input.unit), JSON.stringify(block.input));
}

let plain;
await test("messages.create", async () => {
  plain = await client.messages.create({ ...story, system: [{ type: "text", text: "You tell stories." }] });
  assert.match(plain.id, /^msg_/);
  assert.equal(plain.type, "message");
  assert.equal(plain.role, "assistant");
  assert.equal(plain.content[0].type, "text");
  assert.ok(plain.content[0].text.length > 0);
  assert.equal(plain.stop_reason, "max_tokens");
  assert.equal(plain.usage.output_tokens, 8);
});

await test("messages.stream and finalMessage", async () => {
  const stream = client.messages.stream({ ...story, system: [{ type: "text", text: "You tell stories." }] });
  let text = "";
  stream.on("text", (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(text, plain.content[0].text, "greedy: the streamed text is the plain one");
  assert.equal(final.content[0].text, plain.content[0].text);
  assert.equal(final.stop_reason, "max_tokens");
  assert.equal(final.usage.output_tokens, 8);
  assert.equal(final.usage.input_tokens, plain.usage.input_tokens);
});

await test("stop_sequences", async () => {
  const words = plain.content[0].text.trim().split(/\s+/);
  const stop = words[Math.min(2, words.length - 1)];
  const r = await client.messages.create({ ...story, system: "You tell stories.", stop_sequences: [stop] });
  assert.equal(r.stop_reason, "stop_sequence");
  assert.equal(r.stop_sequence, stop);
});

await test("tool use", async () => {
  const r = await client.messages.create(weather);
  assert.equal(r.stop_reason, "tool_use");
  assertWeather(r.content[0]);
  // the round trip: the call and its result go back, and the model answers
  const next = await client.messages.create({ ...weather, tool_choice: { type: "auto" }, max_tokens: 8, messages: [
    ...weather.messages,
    { role: "assistant", content: r.content },
    { role: "user", content: [{ type: "tool_result", tool_use_id: r.content[0].id, content: "18 degrees" }] },
  ] });
  assert.equal(next.content[0].type, "text");
});

await test("tool use streamed", async () => {
  const final = await client.messages.stream(weather).finalMessage();
  assert.equal(final.stop_reason, "tool_use");
  assertWeather(final.content[0]);
});

await test("countTokens", async () => {
  const body = { ...story, system: "You tell stories.", tools };
  const counted = await client.messages.countTokens({ model: body.model, system: body.system, tools, messages: body.messages });
  const r = await client.messages.create(body);
  assert.equal(counted.input_tokens, r.usage.input_tokens);
});

await test("errors are APIError with Anthropic's types", async () => {
  await assert.rejects(client.messages.create({ ...story, temperature: -1 }),
    (e) => e instanceof Anthropic.BadRequestError && e.error?.error?.type === "invalid_request_error");
  await assert.rejects(client.messages.create({ ...story, model: "nope" }),
    (e) => e instanceof Anthropic.NotFoundError && e.error?.error?.type === "not_found_error");
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
