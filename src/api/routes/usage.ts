import { Router } from "express";
import { AppError } from "../../errors/app-error.js";
import { accountUsage, usageCsv } from "../../usage/usage-report.js";
import { AccountUsageQuery, AccountUsageResponse, usageRange } from "../../usage/usage-schemas.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, SESSION_ERRORS, sessionSecurity } from "../openapi-registry.js";
import { route } from "../routing.js";
import { authOf, requireSession } from "../session-auth.js";
import { parseQuery } from "../validate.js";

/** GET /admin/usage: the account's usage per day, key and model, as JSON or CSV. */
export function usageRouter(deps: AppDeps): Router {
  const router = Router();
  router.use(requireSession(deps));
  route(router, "/", {
    get: async (req, res) => {
      const query = parseQuery(AccountUsageQuery, req.query);
      const range = usageRange(query, deps.clock.now());
      if (!range.ok) throw new AppError("validation_failed", range.message, { param: "from" });
      const rows = await accountUsage(deps.database.db, {
        accountId: authOf(res).account.id,
        from: range.from,
        to: range.to,
      });
      const csv =
        query.format === "csv" || (query.format === undefined && req.accepts(["json", "csv"]) === "csv");
      res.vary("Accept");
      if (!csv) {
        res.json({ data: rows });
        return;
      }
      res.type("text/csv; charset=utf-8");
      res.setHeader("content-disposition", `attachment; filename="usage-${range.from}-${range.to}.csv"`);
      res.send(usageCsv(rows));
    },
  });
  return router;
}

registry.registerPath({
  method: "get",
  path: "/admin/usage",
  operationId: "getAccountUsage",
  tags: ["usage"],
  summary: "The account's requests and tokens per UTC day, key and model, as JSON or CSV",
  description:
    "Oldest day first. CSV (`?format=csv` or `Accept: text/csv`) has the same columns with a header row. " +
    "Counts are what the last usage flush moved to the database (every 10 s by default).",
  security: sessionSecurity,
  request: { query: AccountUsageQuery },
  responses: {
    200: {
      description: "Usage rows",
      content: {
        ...jsonBody(AccountUsageResponse).content,
        "text/csv": {
          schema: {
            type: "string",
            example: "date,key_id,model,requests,prompt_tokens,completion_tokens\r\n",
          },
        },
      },
    },
    ...errorResponses([...SESSION_ERRORS, "validation_failed"], {
      400: "a date that is not YYYY-MM-DD or is before 1970-01-01, from after to, a range over 366 days, a parameter given twice, or an unknown parameter",
    }),
  },
});
