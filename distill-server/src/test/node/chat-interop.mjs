// Drives distill serve's OpenAI facade with the official openai client; prints one JSON line.
// Usage: node chat-interop.mjs BASE_URL MODEL API_KEY   (run by ChatStreamTest)
import OpenAI from 'openai';

const [baseURL, model, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20000 });
const messages = [
  { role: 'system', content: 'Classify the sentiment.' },
  { role: 'user', content: 'I loved this film, the acting was superb' },
];
const out = {};

const whole = await client.chat.completions.create({ model, messages, logprobs: true, top_logprobs: 2 });
out.whole = {
  content: whole.choices[0].message.content,
  logprob: whole.choices[0].logprobs.content[0].logprob,
  fingerprint: whole.system_fingerprint,
};

const stream = await client.chat.completions.create({
  model, messages, stream: true, logprobs: true, top_logprobs: 2, stream_options: { include_usage: true },
});
let content = '';
let finish = null;
let usage = null;
let chunks = 0;
const logprobs = [];
for await (const chunk of stream) {
  chunks++;
  if (chunk.object !== 'chat.completion.chunk') throw new Error('unexpected object ' + chunk.object);
  for (const c of chunk.choices) {
    content += c.delta?.content ?? '';
    if (c.logprobs?.content) logprobs.push(...c.logprobs.content);
    if (c.finish_reason) finish = c.finish_reason;
  }
  if (chunk.usage) usage = chunk.usage;
}
out.stream = { content, logprobs, finish, usage, chunks };

// The SDK's stream helper assembles the chunks into a completion.
const final = await client.chat.completions.stream({ model, messages, logprobs: true }).finalChatCompletion();
out.helper = { content: final.choices[0].message.content, logprob: final.choices[0].logprobs?.content?.[0]?.logprob ?? null };

try {
  await client.chat.completions.create({ model, messages, response_format: { type: 'json_object' } });
  out.refusal = null;
} catch (e) {
  out.refusal = { status: e.status ?? null, param: e.param ?? null, type: e.type ?? null, message: e.message };
}
console.log(JSON.stringify(out));
