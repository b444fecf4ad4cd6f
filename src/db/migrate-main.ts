import { loadConfigOrExit } from "../config/config.js";
import { ensureDatabase, runMigrations } from "./migrate.js";

// The release process: apply pending migrations and exit. `--create` also creates the database.
const config = loadConfigOrExit();
if (process.argv.includes("--create")) await ensureDatabase(config);
await runMigrations(config);
process.stdout.write("migrations applied\n");
