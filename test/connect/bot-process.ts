/**
 * The bot as its own process for the end-to-end tests: exactly what `orrery connect` runs
 * (`connectCommand` from src/connect/main.ts), without loading the rest of the CLI (the server,
 * migrations, admin), which took about 4 of the 5 seconds a bot needed to start under tsx.
 * `test/connect/connect.e2e.test.ts` still starts one bot through `src/cli/main.ts connect`.
 */
import { connectCommand } from '../../src/connect/main.ts';

await connectCommand('connect').parseAsync(process.argv);
