//! TypeScript shapes of the objects that cross the boundary, and tiny
//! helpers to build and read plain JS objects without serde.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An Error thrown by this module; `kind` is stable and snake_case. */
export interface PaycodeError extends Error { kind: string; }

export interface FundingInfo {
  index: number;
  kind: 'balance' | 'debit';
  /** "Balance" or "ICBC ••1234". */
  label: string;
  bank?: string;
  last4?: string;
}

/** What a provisioning link says, without its secret. */
export interface LinkInfo {
  issuer: string;
  prefix: number;
  length: number;
  /** The card's token id (not secret: every code carries it). */
  token: number;
  /** Seconds per time step. */
  period: number;
  /** The issuer's unix time (seconds) when the link was made. */
  issuerTime: number;
  funding: FundingInfo[];
  /** The issuer's origin for the wallet's requests (`https://host[:port]`), when the link names one. */
  api?: string;
}

export interface RotateEvent {
  masked: string;
  reason: 'time' | 'swipe' | 'funding' | 'tick';
}

export interface PaymentCodeOptions {
  barcode: HTMLCanvasElement;
  qr: HTMLCanvasElement;
  /** Issuer clock minus Date.now(); default: link time × 1000 − Date.now(). */
  clockOffsetMs?: number;
  /** Funding source index; default 0. */
  funding?: number;
  /** A horizontal swipe of ≥ 40 px on this element calls refresh(). */
  swipeArea?: Element;
  onRotate?: (event: RotateEvent) => void;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "PaymentCodeOptions")]
    pub type PaymentCodeOptions;

    #[wasm_bindgen(typescript_type = "LinkInfo")]
    pub type LinkInfo;
}

/// Sets `key` on a plain object we just created (cannot fail).
pub fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// Reads `key` of an options object; `undefined` and `null` read as `None`.
pub fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(object, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}
