import { describeError } from "../api/errors";

interface Props {
  error: unknown;
  /** Short context, e.g. "Prediction failed". */
  title?: string;
}

/** An error shown plainly: the API's message, in an alert region screen readers announce. */
export function ErrorMessage({ error, title }: Props) {
  if (error === null || error === undefined || error === "") return null;
  const text = typeof error === "string" ? error : describeError(error);
  return (
    <div role="alert" className="alert alert-error">
      {title ? <strong>{title}: </strong> : null}
      <span>{text}</span>
    </div>
  );
}
