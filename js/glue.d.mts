// For the type check of js/session.js (`tsc` in npm test): the module it imports as
// "./glue.mjs" is the sign-in entry's wasm-bindgen glue, declared by the built package.
export * from "../pkg/expensicat_auth.js";
