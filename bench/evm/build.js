// Compiles ERC20.sol with solc (from the npm registry, pinned in package.json) and writes its
// creation bytecode as hex to ERC20.bin, which `tidepool bench` includes. Run: npm ci && node build.js
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const source = fs.readFileSync(path.join(__dirname, "ERC20.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "ERC20.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { ERC20: ["evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const bytecode = output.contracts["ERC20.sol"].ERC20.evm.bytecode.object;
fs.writeFileSync(path.join(__dirname, "ERC20.bin"), bytecode + "\n");
console.log(`ERC20.bin: ${bytecode.length / 2} bytes of creation code (solc ${solc.version()})`);
