/** @type {import('prettier').Config} */
// prettier settings of OCA's 19.0 repository template (XML through @prettier/plugin-xml).
const config = {
  plugins: [require.resolve("@prettier/plugin-xml")],
  bracketSpacing: false,
  printWidth: 88,
  proseWrap: "always",
  semi: true,
  trailingComma: "es5",
  xmlWhitespaceSensitivity: "preserve",
};

module.exports = config;
