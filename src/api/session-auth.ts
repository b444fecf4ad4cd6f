export const SESSION_COOKIE = "keyward_session";
