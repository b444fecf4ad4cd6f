CREATE TABLE "key_model_usage_daily" (
	"key_id" text NOT NULL,
	"day" date NOT NULL,
	"model" text NOT NULL,
	"answered" bigint DEFAULT 0 NOT NULL,
	"refused" bigint DEFAULT 0 NOT NULL,
	"upstream_errors" bigint DEFAULT 0 NOT NULL,
	"prompt_tokens" bigint DEFAULT 0 NOT NULL,
	"completion_tokens" bigint DEFAULT 0 NOT NULL,
	"requests_without_usage" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "key_model_usage_daily_key_id_day_model_pk" PRIMARY KEY("key_id","day","model")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "token_limit_per_minute" integer;--> statement-breakpoint
ALTER TABLE "key_model_usage_daily" ADD CONSTRAINT "key_model_usage_daily_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "key_model_usage_daily_day_idx" ON "key_model_usage_daily" USING btree ("day");