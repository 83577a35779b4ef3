#!/usr/bin/env node
// Builds the browser SDK: a readable ESM bundle for debugging (parlor.js), the
// minified one the engine serves (parlor.min.js), the React hooks
// (react.js, which imports react and ./parlor.js), all with esbuild, and
// their typings (tsc, declarations only). The output depends only on the sources and the
// pinned tool versions, never on the time or the machine, so a rebuild
// reproduces the committed files byte for byte.
//
//   node scripts/build.mjs            write dist/, ../engine/assets/parlor.min.js and
//                                     ../examples/arcade/react/app.js
//   node scripts/build.mjs --out DIR  write the bundle and typings to DIR only
//   node scripts/build.mjs --verify   rebuild in memory and compare with dist/ and
//                                     ../engine/assets/parlor.min.js; exit 1 on any
//                                     difference. Writes nothing.

import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const engineAsset = path.resolve(root, "../engine/assets/parlor.min.js");
const reactExample = path.resolve(root, "../examples/arcade/react/app.js");

async function readJSON(p) {
  return JSON.parse(await readFile(p, "utf8"));
}

/** Builds everything in memory: a map from path (relative to dist/) to contents. */
async function build() {
  const pkg = await readJSON(path.join(root, "package.json"));
  const versionSrc = await readFile(path.join(root, "src/version.ts"), "utf8");
  const m = /VERSION = "([^"]+)"/.exec(versionSrc);
  if (!m || m[1] !== pkg.version) {
    throw new Error(`src/version.ts says ${m?.[1]}, package.json says ${pkg.version}: make them agree`);
  }
  const banner = [
    `/*! parlor.js ${pkg.version}: the Parlor browser SDK (protocol parlor.v1). MIT License.`,
    " * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/. */",
  ].join("\n");

  const common = {
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    sourcemap: false,
    charset: "ascii",
    legalComments: "inline",
    write: false,
    logLevel: "warning",
  };
  const files = new Map();
  const add = (result) => {
    for (const f of result.outputFiles) {
      files.set(path.relative(path.join(root, "dist"), f.path), Buffer.from(f.contents));
    }
  };
  for (const minify of [false, true]) {
    add(
      await esbuild.build({
        ...common,
        entryPoints: ["src/index.ts"],
        minify,
        banner: { js: banner },
        outfile: minify ? "dist/parlor.min.js" : "dist/parlor.js",
      }),
    );
  }
  // The React hooks: react is the application's, and the SDK is the
  // parlor.js beside this file, so that both share one client class.
  add(
    await esbuild.build({
      ...common,
      entryPoints: ["src/react.ts"],
      minify: false,
      external: ["react"],
      banner: {
        js: [
          `/*! parlor.js ${pkg.version} React hooks. Imports react and ./parlor.js.`,
          " * Generated from js/src by js/scripts/build.mjs. Do not edit: run `npm run build` in js/. */",
        ].join("\n"),
      },
      outfile: "dist/react.js",
      plugins: [
        {
          name: "sdk-external",
          setup(b) {
            b.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: "./parlor.js", external: true }));
          },
        },
      ],
    }),
  );

  // The React example's script: the example, its hooks and React, in one
  // file. Kept out of dist/: it is the example's, written beside it.
  const example = await esbuild.build({
    ...common,
    entryPoints: ["../examples/arcade/reactsrc/app.jsx"],
    minify: true,
    jsx: "automatic",
    nodePaths: [path.join(root, "node_modules")],
    define: { "process.env.NODE_ENV": '"production"' },
    legalComments: "none",
    banner: {
      js: "/*! The Parlor React example, built from examples/arcade/reactsrc by js/scripts/build.mjs. Bundles react and react-dom (MIT License). */",
    },
    outfile: "dist/example-react.js",
  });
  files.set("example-react.js", Buffer.from(example.outputFiles[0].contents));

  // Typings: tsc, declarations only, internals stripped.
  const typesDir = path.join(root, "dist/types");
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, "tsconfig.json"),
    { noEmit: false, declaration: true, emitDeclarationOnly: true, declarationDir: typesDir, stripInternal: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const emitted = program.emit(undefined, (fileName, text) => {
    files.set(path.relative(path.join(root, "dist"), fileName), Buffer.from(text.replace(/\r\n/g, "\n")));
  });
  const diags = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diags.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
    throw new Error(ts.formatDiagnostics(diags, host));
  }
  files.set("parlor.d.ts", Buffer.from('// Typings of parlor.js; generated by js/scripts/build.mjs.\nexport * from "./types/index.js";\n'));
  files.set("parlor.min.d.ts", Buffer.from('// Typings of parlor.min.js; generated by js/scripts/build.mjs.\nexport * from "./types/index.js";\n'));
  files.set("react.d.ts", Buffer.from('// Typings of react.js; generated by js/scripts/build.mjs.\nexport * from "./types/react.js";\n'));
  return files;
}

async function writeAll(dir, files) {
  await rm(dir, { recursive: true, force: true });
  for (const [rel, contents] of files) {
    if (rel === "example-react.js") continue;
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, contents);
  }
}

async function listFiles(dir, prefix = "") {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out = [];
  for (const e of entries) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

async function verify(files) {
  const problems = [];
  const check = async (label, p, want) => {
    let have;
    try {
      have = await readFile(p);
    } catch {
      problems.push(`${label}: missing`);
      return;
    }
    if (!have.equals(want)) problems.push(`${label}: differs from a fresh build`);
  };
  const dist = path.join(root, "dist");
  for (const [rel, contents] of files) {
    if (rel === "example-react.js") continue;
    await check(path.join("js/dist", rel), path.join(dist, rel), contents);
  }
  for (const rel of await listFiles(dist)) {
    if (!files.has(rel) || rel === "example-react.js") problems.push(`${path.join("js/dist", rel)}: not produced by the build (stale?)`);
  }
  await check("engine/assets/parlor.min.js", engineAsset, files.get("parlor.min.js"));
  await check("examples/arcade/react/app.js", reactExample, files.get("example-react.js"));
  if (problems.length > 0) {
    console.error("The committed bundle is out of date:\n  " + problems.join("\n  "));
    console.error("Run `npm run build` in js/ and commit js/dist and engine/assets/parlor.min.js.");
    process.exit(1);
  }
  console.log(`bundle up to date: js/dist, engine/assets/parlor.min.js and examples/arcade/react/app.js`);
}

const args = process.argv.slice(2);
try {
  const files = await build();
  if (args[0] === "--verify") {
    await verify(files);
  } else if (args[0] === "--out" && args[1]) {
    await writeAll(path.resolve(args[1]), files);
  } else if (args.length === 0) {
    await writeAll(path.join(root, "dist"), files);
    await mkdir(path.dirname(engineAsset), { recursive: true });
    const min = files.get("parlor.min.js");
    await writeFile(engineAsset, min);
    await writeFile(reactExample, files.get("example-react.js"));
    console.log(
      `wrote js/dist (${files.size} files) and engine/assets/parlor.min.js (${min.length} bytes, ${gzipSync(min, { level: 9 }).length} gzipped)`,
    );
  } else {
    console.error("usage: build.mjs [--out DIR | --verify]");
    process.exit(2);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
