// Generated from GET /admin/openapi.json by npm run console:api. Do not edit.
export interface paths {
    "/admin/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign up; a verification email is queued */
        post: operations["createAccount"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/accounts/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Verify an email address with the token from the verification email
         * @description The console page CONSOLE_URL/verify-email?token=… (the email's link) makes this call.
         */
        post: operations["verifyEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/accounts/verification-email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send the verification email again (only to an unverified account) */
        post: operations["resendVerificationEmail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/accounts/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Email a password-reset link to the account, if there is one */
        post: operations["requestPasswordReset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/accounts/password-reset/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set a new password with a reset token; every session of the account ends
         * @description The console page CONSOLE_URL/reset-password?token=… (the email's link) makes this call.
         */
        post: operations["confirmPasswordReset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/audit-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What happened to the signed-in account, newest first
         * @description Actions: session.created, login.failed, second_factor.failed, recovery_code.used, totp.enabled, totp.disabled, session.ended, sessions.ended_others, email.change_requested, email.changed, password.changed, password.reset, key.created, key.renamed, key.models_changed, key.token_limit_changed, key.rotated, key.revoked (and account.deleted, which no session can read). Failed logins carry the client's IP, never what was typed.
         */
        get: operations["listAuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List keys, newest first */
        get: operations["listKeys"];
        put?: never;
        /** Create an API key; the full key is returned only here */
        post: operations["createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a key */
        get: operations["getKey"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename a key, change the models it may use or its token limit */
        patch: operations["updateKey"];
        trace?: never;
    };
    "/admin/keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a key, at once and for good (idempotent) */
        post: operations["revokeKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace a key with a new one; the previous key works until the grace period ends
         * @description The body may be omitted: the grace period is then 86400 seconds (24 hours).
         */
        post: operations["rotateKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{id}/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Requests and tokens per UTC day, oldest first, zero-filled, each day split by model */
        get: operations["getKeyUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The logged-in account */
        get: operations["getMe"];
        put?: never;
        post?: never;
        /**
         * Delete the account: every key revoked at once, every session ended, personal data removed
         * @description Needs the password, and a code (or a recovery code) when two-factor authentication is on. Keys answer 401 on every web process from the moment this answers; a confirmation email goes to the account's address; the audit trail stays, without addresses.
         */
        delete: operations["deleteAccount"];
        options?: never;
        head?: never;
        /** Change account settings (rotation_reminder_days: 0 turns reminders off; new_signin_emails: an email on each sign-in from a new address, on by default) */
        patch: operations["updateMe"];
        trace?: never;
    };
    "/admin/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change the password; every other session of the account ends */
        post: operations["changePassword"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/me/email": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change the email address: a link to the new address, a notice to the current one
         * @description The link goes to CONSOLE_URL/confirm-email?token=… (valid 24 hours, once); the current address keeps working until it is used. The notice to the current address carries no link. Answered alike whether or not another account has the address.
         */
        post: operations["requestEmailChange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/me/email/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm an email change with the token from the link sent to the new address (no session needed) */
        post: operations["confirmEmailChange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/me/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start turning on two-factor authentication: a new secret and its otpauth:// URI, shown this once
         * @description The console shows the URI as a QR code. The second factor is on only once POST /admin/me/totp/confirm has a code from the app; calling this again replaces a pending secret.
         */
        post: operations["beginTotpEnrolment"];
        /** Turn two-factor authentication off, with the password and a code (or a recovery code) */
        delete: operations["disableTotp"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/me/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn two-factor authentication on with a first code; returns ten single-use recovery codes, shown this once */
        post: operations["confirmTotpEnrolment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The models the gateway serves, to choose a key's models from
         * @description The union of every upstream's models, each once: what `GET /v1/models` answers to a key that may use every model.
         */
        get: operations["listModels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The permissions an API key can hold */
        get: operations["listPermissions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/sessions/challenge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Second step of a login with a second factor: the challenge token and a code (or a recovery code) */
        post: operations["answerLoginChallenge"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The account's live sessions, newest first; `current` marks the one making the request */
        get: operations["listSessions"];
        put?: never;
        /**
         * Log in; the session token is returned and set as the keyward_session cookie
         * @description The cookie is HttpOnly, Secure when PUBLIC_URL is https, SameSite=Lax; SameSite=None when a CONSOLE_ORIGINS origin is cross-site to PUBLIC_URL over https.
         */
        post: operations["createSession"];
        /** End every session of the account but this one (others=true is required) */
        delete: operations["endOtherSessions"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/sessions/current": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Log out: the session stops working and the cookie is cleared */
        delete: operations["deleteCurrentSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** End one of the account's sessions (this one included: then the cookie is cleared too) */
        delete: operations["endSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account's requests and tokens per UTC day, key and model, as JSON or CSV
         * @description Oldest day first. CSV (`?format=csv` or `Accept: text/csv`) has the same columns with a header row. Counts are what the last usage flush moved to the database (every 10 s by default).
         */
        get: operations["getAccountUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                message: string;
                /** @enum {string} */
                type: "invalid_request_error" | "authentication_error" | "permission_error" | "rate_limit_error" | "api_error";
                /** @enum {string} */
                code: "validation_failed" | "invalid_json" | "invalid_token" | "invalid_cursor" | "invalid_code" | "missing_api_key" | "invalid_api_key" | "invalid_credentials" | "session_required" | "email_not_verified" | "csrf_rejected" | "insufficient_permissions" | "account_disabled" | "forbidden" | "not_found" | "unknown_endpoint" | "model_not_found" | "method_not_allowed" | "request_timeout" | "email_taken" | "key_limit_reached" | "key_revoked" | "key_expired" | "key_rotated" | "idempotency_key_reused" | "totp_already_enabled" | "totp_not_pending" | "payload_too_large" | "unsupported_media_type" | "headers_too_large" | "rate_limit_exceeded" | "internal_error" | "totp_not_configured" | "upstream_unavailable" | "service_unavailable" | "upstream_busy" | "upstream_timeout";
                param?: string;
            };
        };
        Account: {
            id: string;
            email: string;
            email_verified: boolean;
            /** @enum {string} */
            tier: "free" | "pro" | "enterprise";
            rotation_reminder_days: number;
            totp_enabled: boolean;
            new_signin_emails: boolean;
            pending_email: string | null;
            created_at: string;
        };
        AuditEvent: {
            id: string;
            /** @example key.created */
            action: string;
            key_id: string | null;
            ip: string | null;
            user_agent: string | null;
            /** Format: date-time */
            created_at: string;
        };
        ApiKey: {
            /** @example key_01jd0000000000000000000000 */
            id: string;
            name: string;
            /** @enum {string} */
            prefix: "sk-srt-";
            last4: string;
            permissions: ("chat:read" | "embeddings:read" | "models:list")[];
            rate_limit_per_minute: number;
            /** @description Tokens (prompt + completion) per minute: the key's own limit or its tier's. */
            token_limit_per_minute: number;
            /** @description The model ids the key may use; null for every model. */
            models: string[] | null;
            /** @enum {string} */
            status: "active" | "revoked" | "expired";
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_used_at: string | null;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: date-time */
            revoked_at: string | null;
            rotated_from: string | null;
        };
        CreateKeyRequest: {
            name: string;
            /** @description Defaults to every permission. Duplicates are ignored. */
            permissions?: ("chat:read" | "embeddings:read" | "models:list")[];
            /**
             * Format: date-time
             * @description When the key stops working; must be in the future. Omit for no expiry.
             */
            expires_at?: string | null;
            /** @description Lowers the account tier's limit for this key; may not exceed it. */
            rate_limit_per_minute?: number | null;
            /** @description Lowers the account tier's tokens-per-minute limit for this key; may not exceed it. */
            token_limit_per_minute?: number | null;
            /** @description The model ids the key may use; null (the default) for every model. Duplicates are ignored. */
            models?: string[] | null;
        };
        UpdateKeyRequest: {
            name?: string;
            /** @description The model ids the key may use; null (the default) for every model. Duplicates are ignored. */
            models?: string[] | null;
            /** @description Lowers the account tier's tokens-per-minute limit for this key; may not exceed it. null: the tier's. */
            token_limit_per_minute?: number | null;
        };
        RotateKeyRequest: {
            /**
             * @description How long the previous key keeps working (0: stops at once).
             * @default 86400
             */
            grace_period_seconds: number;
        };
        DayUsage: {
            /** Format: date */
            date: string;
            requests: number;
            prompt_tokens: number;
            completion_tokens: number;
            by_model: components["schemas"]["ModelUsage"][];
        };
        ModelUsage: {
            /** @description The request's `model`; null where it had none. */
            model: string | null;
            requests: number;
            /** @description Answered by the upstream (2xx). */
            answered: number;
            /** @description Refused by keyward: permission, request or token limit. */
            refused: number;
            /** @description The upstream answered an error or could not be reached. */
            upstream_errors: number;
            prompt_tokens: number;
            completion_tokens: number;
        };
        /** @description What the account's tier allows each key */
        TierLimits: {
            requests_per_minute: number;
            /** @description Prompt and completion tokens; a key's own token_limit_per_minute may only be lower */
            tokens_per_minute: number;
        };
        UsageRow: {
            /** Format: date */
            date: string;
            key_id: string;
            /** @description The request's `model`; null where it had none. */
            model: string | null;
            requests: number;
            prompt_tokens: number;
            completion_tokens: number;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Account created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, validation_failed: email syntax, or a password that breaks the rules (12 to 256 characters, not the email's local part, not a common password) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description email_taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "email_taken";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: too many requests; Retry-After says when to retry */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    verifyEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                };
            };
        };
        responses: {
            /** @description Verified */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, invalid_token, validation_failed: invalid_token when unknown, used or expired */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "invalid_token" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    resendVerificationEmail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                };
            };
        };
        responses: {
            /** @description Accepted, whatever the email */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: too many requests; Retry-After says when to retry */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    requestPasswordReset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                };
            };
        };
        responses: {
            /** @description Accepted, whatever the email */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: too many requests; Retry-After says when to retry */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    confirmPasswordReset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Password changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json, invalid_token, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "invalid_token" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    listAuditEvents: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The next_cursor of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["AuditEvent"][];
                        next_cursor: string | null;
                    };
                };
            };
            /** @description validation_failed, invalid_cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "validation_failed" | "invalid_cursor";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    listKeys: {
        parameters: {
            query?: {
                status?: "active" | "revoked" | "expired" | "all";
                limit?: number;
                /** @description The next_cursor of the previous page. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of keys */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["ApiKey"][];
                        next_cursor: string | null;
                    };
                };
            };
            /** @description validation_failed, invalid_cursor */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "validation_failed" | "invalid_cursor";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    createKey: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same value (1 to 255 visible ASCII characters; a new UUID per request, say) sent again by this account within 24 hours with the same body answers the first call's status and body, secret included, marked `Idempotent-Replayed: true`, and changes nothing. Sent with another body or route: 409 `idempotency_key_reused`. An error answer is not kept: the call then runs again. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateKeyRequest"];
            };
        };
        responses: {
            /** @description The key and its secret (Cache-Control: no-store) */
            201: {
                headers: {
                    /** @description `true` when this is the stored answer to an earlier call with the same Idempotency-Key; absent otherwise. */
                    "Idempotent-Replayed"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                        /** @description The full key. Shown only in this response. */
                        secret: string;
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected, email_not_verified */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected" | "email_not_verified";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description key_limit_reached, idempotency_key_reused */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "key_limit_reached" | "idempotency_key_reused";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    getKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    updateKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateKeyRequest"];
            };
        };
        responses: {
            /** @description The updated key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description key_revoked */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "key_revoked";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    revokeKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revoked key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    rotateKey: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same value (1 to 255 visible ASCII characters; a new UUID per request, say) sent again by this account within 24 hours with the same body answers the first call's status and body, secret included, marked `Idempotent-Replayed: true`, and changes nothing. Sent with another body or route: 409 `idempotency_key_reused`. An error answer is not kept: the call then runs again. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RotateKeyRequest"];
            };
        };
        responses: {
            /** @description The new key, its secret and the previous key (Cache-Control: no-store) */
            201: {
                headers: {
                    /** @description `true` when this is the stored answer to an earlier call with the same Idempotency-Key; absent otherwise. */
                    "Idempotent-Replayed"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: components["schemas"]["ApiKey"];
                        /** @description The full key. Shown only in this response. */
                        secret: string;
                        previous: components["schemas"]["ApiKey"];
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description key_revoked, key_expired, key_rotated, key_limit_reached, idempotency_key_reused */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "key_revoked" | "key_expired" | "key_rotated" | "key_limit_reached" | "idempotency_key_reused";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    getKeyUsage: {
        parameters: {
            query?: {
                days?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Daily usage */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["DayUsage"][];
                    };
                };
            };
            /** @description validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The account and its tier's limits */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: components["schemas"]["Account"];
                        limits: components["schemas"]["TierLimits"];
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    deleteAccount: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                    /** @description Required when two-factor authentication is on: a code or a recovery code */
                    code?: string;
                };
            };
        };
        responses: {
            /** @description Deleted; the cookie is cleared */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json, validation_failed, invalid_code: invalid_code: missing or wrong while two-factor authentication is on */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed" | "invalid_code";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required, invalid_credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required" | "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable: the revocations could not be published; nothing was deleted (Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    updateMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    rotation_reminder_days?: number;
                    new_signin_emails?: boolean;
                };
            };
        };
        responses: {
            /** @description The updated account */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, validation_failed: a value out of range, or neither field given */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    changePassword: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    current_password: string;
                    new_password: string;
                };
            };
        };
        responses: {
            /** @description Password changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json, validation_failed: new_password breaks the rules, or is the current password */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required, invalid_credentials: invalid_credentials for a wrong current password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required" | "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    requestEmailChange: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description invalid_json, validation_failed: syntax, or the current address */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required, invalid_credentials: invalid_credentials: a wrong password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required" | "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    confirmEmailChange: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                };
            };
        };
        responses: {
            /** @description The account, with its new email */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, validation_failed, invalid_token: invalid_token: unknown, used, expired, or superseded by a later request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed" | "invalid_token";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description email_taken: email_taken: another account took the address meanwhile */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "email_taken";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    beginTotpEnrolment: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                };
            };
        };
        responses: {
            /** @description Enrolment pending until confirmed with a code (Cache-Control: no-store) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        otpauth_uri: string;
                        secret: string;
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required, invalid_credentials: invalid_credentials: a wrong password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required" | "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description totp_already_enabled */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "totp_already_enabled";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: wrong passwords and codes share the login limits (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description totp_not_configured: the server has no TOTP_ENCRYPTION_KEY */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "totp_not_configured";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    disableTotp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    password: string;
                    /** @description A 6-digit code from the app, or a recovery code */
                    code: string;
                };
            };
        };
        responses: {
            /** @description Off; the recovery codes are gone and an email tells the account */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json, validation_failed, invalid_code: invalid_code, also when two-factor authentication is off */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed" | "invalid_code";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required, invalid_credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required" | "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: wrong passwords and codes share the login limits (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    confirmTotpEnrolment: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    code: string;
                    /** @description Also end every other session of the account (default false) */
                    end_other_sessions?: boolean;
                };
            };
        };
        responses: {
            /** @description On (Cache-Control: no-store); an email tells the account */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        recovery_codes: string[];
                    };
                };
            };
            /** @description invalid_json, validation_failed, invalid_code: invalid_code counts towards the login limits */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed" | "invalid_code";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description totp_already_enabled, totp_not_pending */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "totp_already_enabled" | "totp_not_pending";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: wrong passwords and codes share the login limits (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description totp_not_configured */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "totp_not_configured";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    listModels: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The models */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            /** @example vllm-primary */
                            id: string;
                            /** @description As the upstream reports it (`keyward` for a model listed in UPSTREAMS). */
                            owned_by: string;
                        }[];
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    listPermissions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The catalog */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            id: string;
                            description: string;
                            /** @description The /v1 routes this permission opens, e.g. `POST /v1/chat/completions`. */
                            routes: string[];
                        }[];
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    answerLoginChallenge: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                    code: string;
                } | {
                    token: string;
                    recovery_code: string;
                };
            };
        };
        responses: {
            /** @description Logged in (Cache-Control: no-store; Set-Cookie: keyward_session), as POST /admin/sessions */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        session: {
                            token: string;
                            expires_at: string;
                        };
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, validation_failed, invalid_code, invalid_token: invalid_code counts towards the login limits, and 5 spend the challenge; invalid_token: unknown, expired (5 minutes), used or spent */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed" | "invalid_code" | "invalid_token";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: the login limits (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    listSessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sessions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            id: string;
                            created_at: string;
                            last_used_at: string;
                            ip: string | null;
                            /** @description Summarised, e.g. Firefox on Windows */
                            user_agent: string | null;
                            /** @description True for the session that made this request */
                            current: boolean;
                        }[];
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description The password is right and the account has a second factor: no session yet, a login challenge (5 minutes) to answer with a code */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        challenge: {
                            /** @description Send it with a code to POST /admin/sessions/challenge */
                            token: string;
                            expires_at: string;
                        };
                    };
                };
            };
            /** @description Logged in (Cache-Control: no-store; Set-Cookie: keyward_session) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        session: {
                            token: string;
                            expires_at: string;
                        };
                        account: components["schemas"]["Account"];
                    };
                };
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description invalid_credentials: the same for an unknown email and a wrong password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "invalid_credentials";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected, email_not_verified, account_disabled */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected" | "email_not_verified" | "account_disabled";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description rate_limit_exceeded: after repeated failures: 10 for an email from one IP (an IPv6 /64), 50 for an email, 100 from one IP, in 15 minutes (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "rate_limit_error";
                            /** @enum {string} */
                            code: "rate_limit_exceeded";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    endOtherSessions: {
        parameters: {
            query: {
                others: "true";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every other session ended, on every web process */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json, validation_failed */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json" | "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    deleteCurrentSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Logged out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    endSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session ended, on every web process */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description invalid_json */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "invalid_json";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description csrf_rejected */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "permission_error";
                            /** @enum {string} */
                            code: "csrf_rejected";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description not_found: also for another account's session */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "not_found";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description payload_too_large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "payload_too_large";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description unsupported_media_type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "unsupported_media_type";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
    getAccountUsage: {
        parameters: {
            query?: {
                /** @description First UTC day (inclusive), 1970-01-01 or later; default: 29 days before `to`. */
                from?: string;
                /** @description Last UTC day (inclusive), 1970-01-01 or later; default: today. */
                to?: string;
                /** @description csv, or send Accept: text/csv. */
                format?: "json" | "csv";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Usage rows */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["UsageRow"][];
                    };
                    "text/csv": string;
                };
            };
            /** @description validation_failed: a date that is not YYYY-MM-DD or is before 1970-01-01, from after to, a range over 366 days, a parameter given twice, or an unknown parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "invalid_request_error";
                            /** @enum {string} */
                            code: "validation_failed";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description session_required */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "authentication_error";
                            /** @enum {string} */
                            code: "session_required";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
            /** @description service_unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        error: {
                            message: string;
                            /** @enum {string} */
                            type: "api_error";
                            /** @enum {string} */
                            code: "service_unavailable";
                            /** @description The field at fault, when one is */
                            param?: string;
                        };
                    };
                };
            };
        };
    };
}
