// Drives distill serve's language-model endpoints with the official openai client; prints one JSON line.
// Usage: node lm-interop.mjs BASE_URL MODEL API_KEY   (run by LmInteropTest)
import OpenAI from 'openai';

const [baseURL, model, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20000 });
const out = {};

// What a distillation collector sends: score every prompt token, top-5 alternatives.
const scored = await client.completions.create({ model, prompt: 'the cat sat', max_tokens: 0, echo: true, logprobs: 5 });
out.scored = {
  text: scored.choices[0].text,
  finish: scored.choices[0].finish_reason,
  logprobs: scored.choices[0].logprobs,
  usage: scored.usage,
};

const generated = await client.completions.create({ model, prompt: 'the dog', max_tokens: 20, temperature: 0 });
out.generated = { text: generated.choices[0].text, finish: generated.choices[0].finish_reason, usage: generated.usage };

const cstream = await client.completions.create({ model, prompt: 'the dog', max_tokens: 20, temperature: 0, stream: true });
let ctext = '';
for await (const chunk of cstream) {
  for (const c of chunk.choices) ctext += c.text;
}
out.completionStream = { text: ctext };

const messages = [{ role: 'user', content: 'cat?' }];
const whole = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
out.chat = { content: whole.choices[0].message.content };
const stream = await client.chat.completions.create({
  model, messages, max_tokens: 12, temperature: 0, stream: true, logprobs: true, top_logprobs: 2,
  stream_options: { include_usage: true },
});
let content = '';
let finish = null;
let usage = null;
const logprobs = [];
for await (const chunk of stream) {
  for (const c of chunk.choices) {
    content += c.delta?.content ?? '';
    if (c.logprobs?.content) logprobs.push(...c.logprobs.content);
    if (c.finish_reason) finish = c.finish_reason;
  }
  if (chunk.usage) usage = chunk.usage;
}
out.chatStream = { content, logprobs, finish, usage };

try {
  await client.completions.create({ model, prompt: 'x', max_tokens: 0, echo: true, logprobs: 21 });
  out.refusal = null;
} catch (e) {
  out.refusal = { status: e.status ?? null, param: e.param ?? null, type: e.type ?? null, message: e.message };
}
console.log(JSON.stringify(out));
