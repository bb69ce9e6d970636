// Run the Khronos glTF validator (npm package gltf-validator) on one .glb/.gltf file and
// print its report as JSON. Usage: node validate_gltf.js MODULES_DIR FILE
const path = require("path");
const fs = require("fs");
const validator = require(path.resolve(process.argv[2], "gltf-validator"));
const file = process.argv[3];
const bytes = new Uint8Array(fs.readFileSync(file));
validator.validateBytes(bytes, { maxIssues: 200, externalResourceFunction: () => Promise.reject("no external resources") })
  .then((report) => { process.stdout.write(JSON.stringify(report)); })
  .catch((error) => { process.stderr.write(String(error)); process.exit(2); });
