/**
 * Module boundaries the linter cannot see (issue 7 item 16): no service API hands out or takes a
 * database handle. Runtime once ran rooms' store functions inside its own transactions through
 * `rooms.recentBySender(trx, …)`: the Kysely handle crossed modules by inference, with no import
 * for ESLint to catch. This test asks the TypeScript compiler for the type of every service API and
 * walks its members, their parameters and results, to find any type declared by Kysely or a driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Service API types, by the file that exports them. */
const SERVICES: Record<string, string> = {
  'src/accounts/service.ts': 'AccountsService',
  'src/rooms/service.ts': 'RoomsService',
  'src/runtime/service.ts': 'RuntimeService',
  'src/matrix/service.ts': 'MatrixService',
  'src/debugger/service.ts': 'DebuggerService',
};
/** Packages whose types must not appear in a service API. */
const STORE_PACKAGES = /node_modules\/(kysely|pg|better-sqlite3|@types\/pg|@types\/better-sqlite3)\//;

function program(): ts.Program {
  const configFile = ts.findConfigFile(ROOT, ts.sys.fileExists, 'tsconfig.json')!;
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return ts.createProgram(Object.keys(SERVICES).map((f) => path.join(ROOT, f)), parsed.options);
}

/** Paths (member.member(param)…) through which `type` reaches a store package's type. */
function leaks(checker: ts.TypeChecker, root: ts.Type, where: ts.Node): string[] {
  const found: string[] = [];
  const seen = new Set<ts.Type>();
  const fromStore = (t: ts.Type) =>
    [t.getSymbol(), t.aliasSymbol].some((s) => s?.declarations?.some((d) => STORE_PACKAGES.test(d.getSourceFile().fileName.replaceAll('\\', '/'))));
  const visit = (t: ts.Type, trail: string, depth: number) => {
    if (seen.has(t) || depth > 6) return;
    seen.add(t);
    if (fromStore(t)) {
      found.push(`${trail}: ${checker.typeToString(t)}`);
      return;
    }
    if (t.isUnionOrIntersection()) return t.types.forEach((u) => visit(u, trail, depth + 1));
    for (const signature of t.getCallSignatures()) {
      for (const p of signature.getParameters()) visit(checker.getTypeOfSymbolAtLocation(p, where), `${trail}(${p.name})`, depth + 1);
      const result = signature.getReturnType();
      visit(checker.getAwaitedType(result) ?? result, `${trail}()`, depth + 1);
    }
    // Arrays, promises, maps: their type arguments.
    for (const arg of checker.getTypeArguments(t as ts.TypeReference) ?? []) visit(arg, `${trail}<>`, depth + 1);
    if (t.flags & ts.TypeFlags.Object && !(t.getSymbol()?.declarations?.some((d) => d.getSourceFile().isDeclarationFile && !/node_modules\/(kysely|pg)/.test(d.getSourceFile().fileName)))) {
      for (const member of t.getProperties()) visit(checker.getTypeOfSymbolAtLocation(member, where), `${trail}.${member.name}`, depth + 1);
    }
  };
  visit(root, '', 0);
  return found;
}

test('no service API passes a database handle or query builder in or out', () => {
  const p = program();
  const checker = p.getTypeChecker();
  const problems: string[] = [];
  for (const [file, typeName] of Object.entries(SERVICES)) {
    const source = p.getSourceFile(path.join(ROOT, file));
    assert.ok(source, `${file} compiles`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const exported = checker.getExportsOfModule(moduleSymbol!).find((s) => s.name === typeName);
    assert.ok(exported, `${file} exports ${typeName}`);
    const type = checker.getDeclaredTypeOfSymbol(exported);
    for (const leak of leaks(checker, type, source)) problems.push(`${typeName}${leak}`);
  }
  assert.deepEqual(problems, []);
});
