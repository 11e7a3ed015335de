// The layering of src/, checked by `npm run lint` (see docs/development.md, "Layout"):
//   errors.ts, version.ts  <-  platform/  <-  stores/*, kinds/*  <-  core/  <-  lib/, cli/
// A store or a kind is one folder plus one line in its registry (stores/index.ts, kinds/index.ts);
// the core sees only those registries and their interfaces, never an implementation.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "an import cycle makes the load order, and the layering, fragile",
      from: {},
      to: { circular: true },
    },
    {
      name: "leaves",
      severity: "error",
      comment: "errors.ts and version.ts import nothing of cdcreds",
      from: { path: "^src/(errors|version)\\.ts$" },
      to: { path: "^src/" },
    },
    {
      name: "platform",
      severity: "error",
      comment: "platform/ imports nothing above it",
      from: { path: "^src/platform/" },
      to: { path: "^src/(core|kinds|stores|lib|cli|index\\.ts)" },
    },
    {
      name: "stores",
      severity: "error",
      comment: "a store knows nothing of kinds, the core, the library or the CLI",
      from: { path: "^src/stores/" },
      to: { path: "^src/(core|kinds|lib|cli|index\\.ts)" },
    },
    {
      name: "kinds",
      severity: "error",
      comment: "a kind knows nothing of stores, the core, the library or the CLI",
      from: { path: "^src/kinds/" },
      to: { path: "^src/(core|stores|lib|cli|index\\.ts)" },
    },
    {
      name: "one-folder-each",
      severity: "error",
      comment: "stores and kinds do not import each other's folders",
      from: { path: "^src/(stores|kinds)/([^/]+)/" },
      to: { path: "^src/$1/[^/]+/", pathNot: "^src/$1/$2/" },
    },
    {
      name: "core",
      severity: "error",
      comment: "the core sees the registries and interfaces of kinds and stores, never an implementation, and never the library or the CLI",
      from: { path: "^src/core/" },
      to: { path: "^src/((kinds|stores)/[^/]+/|lib/|cli/|index\\.ts)" },
    },
    {
      name: "lib",
      severity: "error",
      comment: "the library never imports the CLI",
      from: { path: "^src/(lib/|index\\.ts)" },
      to: { path: "^src/cli/" },
    },
    {
      name: "cli-on-top",
      severity: "error",
      comment: "nothing imports the CLI",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|node_modules|test|bench|scripts)/" },
  },
};
