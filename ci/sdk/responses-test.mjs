// The Responses API (POST /v1/responses) through the official clients that call it: the OpenAI Node SDK's
// client.responses (plain, streamed, a function tool round trip, retrieve/delete) and the Vercel AI SDK, whose default
// provider model openai("...") speaks the Responses API. stories260K writes stories, not answers: the checks are on
// shapes and mechanics (a forced tool call parses because of constrained decoding), not on content.
// usage: JLLM_URL=http://127.0.0.1:PORT/v1 JLLM_KEY=... node responses-test.mjs
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, jsonSchema, tool, stepCountIs } from "ai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.env.JLLM_URL, apiKey: process.env.JLLM_KEY || "none" });
const openai = createOpenAI({ baseURL: process.env.JLLM_URL, apiKey: process.env.JLLM_KEY || "none" });
let passed = 0, failed = 0;
async function test(name, fn) {
  try { await fn(); passed++; console.log(`PASS ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack || e}`); }
}

const weather = {
  type: "object", properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["celsius", "fahrenheit"] } },
  required: ["city", "unit"], additionalProperties: false,
};

await test("responses.create", async () => {
  const r = await client.responses.create({ model: "stories", input: "Tell me a story", max_output_tokens: 12, temperature: 0 });
  assert.equal(r.object, "response");
  assert.match(r.id, /^resp_/);
  assert.ok(r.output_text.length > 0, "the SDK's output_text gathers the message text");
  const chat = await client.chat.completions.create({
    model: "stories", messages: [{ role: "user", content: "Tell me a story" }], max_tokens: 12, temperature: 0 });
  assert.equal(r.output_text, chat.choices[0].message.content, "the same greedy text as the equivalent chat request");
  assert.equal(r.usage.input_tokens, chat.usage.prompt_tokens);
  assert.equal(r.status, chat.choices[0].finish_reason === "length" ? "incomplete" : "completed");
});

await test("responses.create stream", async () => {
  const stream = await client.responses.create({
    model: "stories", input: "Tell me a story", max_output_tokens: 10, temperature: 0, ignore_eos: true, stream: true });
  const types = [];
  let text = "", last = null;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === "response.output_text.delta") text += event.delta;
    last = event;
  }
  assert.deepEqual(types.slice(0, 4), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
  assert.equal(last.type, "response.incomplete");
  assert.equal(last.response.incomplete_details.reason, "max_output_tokens");
  assert.equal(last.response.output[0].content[0].text, text);
  assert.equal(last.response.usage.output_tokens, 10);
  // the SDK's stream helper assembles the same response from the events (its finalResponse has no output_text)
  const final = await client.responses.stream({ model: "stories", input: "Tell me a story", max_output_tokens: 10, temperature: 0, ignore_eos: true }).finalResponse();
  assert.equal(final.output[0].content[0].text, text);
});

await test("responses function tool round trip", async () => {
  const tools = [{ type: "function", name: "get_weather", description: "Weather for a city", parameters: weather, strict: true }];
  const r = await client.responses.create({
    model: "stories", input: "Weather in Paris?", tools, tool_choice: { type: "function", name: "get_weather" }, max_output_tokens: 80 });
  const call = r.output.find((item) => item.type === "function_call");
  assert.ok(call, JSON.stringify(r.output));
  assert.equal(call.name, "get_weather");
  const args = JSON.parse(call.arguments);
  assert.equal(typeof args.city, "string");
  assert.ok(["celsius", "fahrenheit"].includes(args.unit));
  const next = await client.responses.create({
    model: "stories", previous_response_id: r.id, tools, max_output_tokens: 8,
    input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny, 21 degrees" }] });
  assert.equal(next.previous_response_id, r.id);
  assert.ok(next.usage.input_tokens > r.usage.input_tokens, "the previous turn and the tool output are in the prompt");
  assert.equal(next.output[0].type, "message");
});

await test("responses retrieve and delete", async () => {
  const r = await client.responses.create({ model: "stories", input: "A cat", max_output_tokens: 4 });
  const got = await client.responses.retrieve(r.id);
  assert.equal(got.id, r.id);
  assert.equal(got.output_text, r.output_text);
  await client.responses.delete(r.id);
  await assert.rejects(client.responses.retrieve(r.id), (e) => e.status === 404);
  await assert.rejects(client.responses.create({ model: "stories", input: "x", tools: [{ type: "web_search_preview" }] }),
    (e) => e.status === 400 && /web_search_preview/.test(e.message));
});

await test("Vercel AI SDK generateText (Responses API)", async () => {
  const r = await generateText({ model: openai("stories"), prompt: "Tell me a story", maxOutputTokens: 12, temperature: 0 });
  const direct = await client.responses.create({ model: "stories", input: [{ role: "user", content: [{ type: "input_text", text: "Tell me a story" }] }],
    max_output_tokens: 12, temperature: 0 });
  assert.equal(r.text, direct.output_text);
  assert.ok(r.text.length > 0);
  assert.match(r.response.id, /^resp_/, "the provider called /v1/responses");
  assert.equal(r.usage.outputTokens, direct.usage.output_tokens);
  assert.equal(r.finishReason, direct.status === "incomplete" ? "length" : "stop");
});

await test("Vercel AI SDK multi-turn (item_reference to the stored answer)", async () => {
  const model = openai("stories");
  const first = await generateText({ model, prompt: "Tell me a story", maxOutputTokens: 8, temperature: 0 });
  const messages = [{ role: "user", content: "Tell me a story" }, ...first.response.messages, { role: "user", content: "And then?" }];
  const second = await generateText({ model, messages, maxOutputTokens: 8, temperature: 0 });
  assert.match(JSON.stringify(second.request.body), /item_reference/, "the SDK refers to the stored assistant item");
  assert.ok(second.usage.inputTokens >= first.usage.inputTokens + first.usage.outputTokens, "the first turn is in the prompt");
  assert.ok(second.text.length > 0);
});

await test("Vercel AI SDK streamText", async () => {
  const result = streamText({ model: openai("stories"), system: "You tell tales.", prompt: "A dog", maxOutputTokens: 10, temperature: 0 });
  let text = "";
  for await (const delta of result.textStream) text += delta;
  assert.ok(text.length > 0);
  assert.equal(text, await result.text);
  assert.equal((await result.usage).outputTokens, 10);
});

await test("Vercel AI SDK tool call", async () => {
  const r = await generateText({
    model: openai("stories"), prompt: "Weather in Paris?", maxOutputTokens: 80,
    tools: { get_weather: tool({ description: "Weather for a city", inputSchema: jsonSchema(weather) }) },
    toolChoice: { type: "tool", toolName: "get_weather" } });
  assert.equal(r.toolCalls.length, 1, JSON.stringify(r.response.body ?? r.content));
  assert.equal(r.toolCalls[0].toolName, "get_weather");
  assert.equal(typeof r.toolCalls[0].input.city, "string");
  assert.equal(r.finishReason, "tool-calls");
});

await test("Vercel AI SDK tool loop (function_call_output back to the model)", async () => {
  let executed = 0;
  const r = await generateText({
    model: openai("stories"), prompt: "Weather in Paris?", maxOutputTokens: 80, stopWhen: stepCountIs(2),
    tools: { get_weather: tool({ inputSchema: jsonSchema(weather), execute: async ({ city }) => { executed++; return `sunny in ${city}`; } }) },
    toolChoice: { type: "tool", toolName: "get_weather" } });
  assert.equal(r.steps.length, 2);
  assert.equal(executed, 2, "each forced step called the tool");
  const sent = JSON.stringify(r.steps[1].request.body);
  assert.match(sent, /"function_call_output"/);
  assert.match(sent, /sunny in/);
  assert.ok(r.steps[1].usage.inputTokens > r.steps[0].usage.inputTokens);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
