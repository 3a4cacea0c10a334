/**
 * One error hierarchy for everything the service rejects on purpose. `code` is stable and
 * machine-readable; `message` is for a person; `status` is the HTTP status the API answers with.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class NotFound extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 404);
  }
}

export class Conflict extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, 409, details);
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'A valid bearer token is required') {
    super('unauthorized', message, 401);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'This role may not do that') {
    super('forbidden', message, 403);
  }
}

export class ValidationFailed extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, 400, details);
  }
}
