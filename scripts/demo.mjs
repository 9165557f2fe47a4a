// `npm start`: the local emulator plus the demo page, wired to each other.
//   PORT (default 8080): the demo; EMULATOR_PORT (default: a free port): the emulator.
import { startEmulator } from "./emulator.mjs";
import { startStaticServer, strictCsp } from "./serve.mjs";

export async function startDemo({ port = 8080, emulatorPort = 0, quiet = false } = {}) {
  // Bind the demo first so its port (possibly a free one) is known for the redirect URI.
  let emulator;
  const server = await startStaticServer({
    port,
    // The strict policy the README documents, so the demo (and its tests) prove it is enough:
    // the emulator, and the real servers for when Settings point there.
    csp: () => strictCsp([emulator.url, "https://api.expensicat.com", "https://integrations.expensify.com"]),
    config: () => ({
      issuer: emulator.url,
      clientId: emulator.clientId,
      redirectUri: `http://127.0.0.1:${server.address().port}/callback`,
      expensifyServerUrl: emulator.url,
      emulator: true,
    }),
  });
  const demoUrl = `http://127.0.0.1:${server.address().port}/`;
  emulator = await startEmulator({ port: emulatorPort, quiet: true, redirectUris: [`${demoUrl}callback`] });
  if (!quiet) {
    console.log(`emulator: ${emulator.line}`);
    console.log(`demo: ${demoUrl}  (open it in a browser; Ctrl+C to stop)`);
  }
  return { server, emulator, url: demoUrl, close: async () => { await emulator.close(); server.closeAllConnections?.(); await new Promise((r) => server.close(r)); } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await startDemo({ port: Number(process.env.PORT || 8080), emulatorPort: Number(process.env.EMULATOR_PORT || 0) });
}
