// Loads the package and reports what init() did, for the Content-Security-Policy test.
import init from "/pkg/expensicat_auth.js";
try {
  await init();
  document.body.dataset.result = "ok";
} catch (e) {
  document.body.dataset.result = `${e.name}:${e.code}:${e.message}`;
}
