// Shopify's official webhook verifier as a test oracle.
// stdin: JSON array of {secret, body, headers}; stdout: JSON array of the validate() results.
// Uses the library's web-api adapter (fetch `Request`), which Node >= 18 provides natively.
import '@shopify/shopify-api/adapters/web-api';
import {shopifyApi, ApiVersion, LogSeverity} from '@shopify/shopify-api';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = [];
for (const c of cases) {
  const shopify = shopifyApi({
    apiKey: 'icefloe-test',
    apiSecretKey: c.secret,
    apiVersion: Object.values(ApiVersion).filter((v) => /^\d{4}-\d{2}$/.test(v)).sort().at(-1),
    hostName: 'icefloe.example.com',
    isEmbeddedApp: false,
    logger: {level: LogSeverity.Error, log: () => {}},
  });
  const rawRequest = new Request('https://icefloe.example.com/webhooks/shopify', {
    method: 'POST', headers: c.headers, body: c.body,
  });
  results.push(await shopify.webhooks.validate({rawBody: c.body, rawRequest}));
}
process.stdout.write(JSON.stringify(results));
