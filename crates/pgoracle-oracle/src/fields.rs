//! Reading a case's fields with the document rules of the oracle interface: a missing,
//! unknown or wrongly typed field is a [`DocError`] (exit status 2) naming the case id and
//! the field's path.

use nalgebra::DVector;
use serde_json::{Map, Value};

use super::DocError;
use super::number::{JsonScalar, parse_number};

/// An object being read; remembers which keys were read so [`Fields::finish`] can reject the
/// rest as unknown.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    path: String,
    id: &'a str,
    read: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    /// Reads `value` as an object at `path`, for the case `id`.
    pub fn new(value: &'a Value, path: &str, id: &'a str) -> Result<Self, DocError> {
        match value {
            Value::Object(obj) => Ok(Fields {
                obj,
                path: path.to_string(),
                id,
                read: Vec::new(),
            }),
            _ => Err(DocError::new(id, path, "expected an object")),
        }
    }

    /// The error for field `name` of this object.
    pub fn error(&self, name: &str, message: &str) -> DocError {
        DocError::new(self.id, &self.child(name), message)
    }

    /// The path of field `name` of this object (`input.solver.tol`), for error messages.
    pub fn child(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The raw value of an optional field.
    pub fn optional(&mut self, name: &'static str) -> Option<&'a Value> {
        self.read.push(name);
        self.obj.get(name)
    }

    /// The raw value of a required field.
    pub fn required(&mut self, name: &'static str) -> Result<&'a Value, DocError> {
        self.optional(name)
            .ok_or_else(|| self.error(name, "missing field"))
    }

    /// Fails on any key that was not read.
    pub fn finish(&self) -> Result<(), DocError> {
        match self.obj.keys().find(|k| !self.read.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(self.error(k, "unknown field")),
        }
    }

    /// A required number (or non-finite string).
    pub fn scalar<T: JsonScalar>(&mut self, name: &'static str) -> Result<T, DocError> {
        let v = self.required(name)?;
        parse_number(v).ok_or_else(|| self.error(name, "expected a number"))
    }

    /// A required vector of numbers.
    pub fn vector<T: JsonScalar>(&mut self, name: &'static str) -> Result<DVector<T>, DocError> {
        let v = self.required(name)?;
        let path = self.child(name);
        parse_vector(v, &path, self.id)
    }

    /// A required array of vectors.
    pub fn vectors<T: JsonScalar>(
        &mut self,
        name: &'static str,
    ) -> Result<Vec<DVector<T>>, DocError> {
        let v = self.required(name)?;
        let path = self.child(name);
        let items = v
            .as_array()
            .ok_or_else(|| DocError::new(self.id, &path, "expected an array of arrays"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_vector(item, &format!("{path}[{i}]"), self.id))
            .collect()
    }

    /// An optional number (version 2's hyper-parameters with the peer's defaults).
    pub fn optional_scalar<T: JsonScalar>(
        &mut self,
        name: &'static str,
    ) -> Result<Option<T>, DocError> {
        if self.obj.contains_key(name) {
            self.scalar(name).map(Some)
        } else {
            self.read.push(name);
            Ok(None)
        }
    }

    /// An optional vector of numbers.
    pub fn optional_vector<T: JsonScalar>(
        &mut self,
        name: &'static str,
    ) -> Result<Option<DVector<T>>, DocError> {
        if self.obj.contains_key(name) {
            self.vector(name).map(Some)
        } else {
            self.read.push(name);
            Ok(None)
        }
    }

    /// A required non-negative integer.
    pub fn count(&mut self, name: &'static str) -> Result<usize, DocError> {
        let v = self.required(name)?;
        parse_count(v).ok_or_else(|| self.error(name, "expected a non-negative integer"))
    }

    /// An optional non-negative integer.
    pub fn optional_count(&mut self, name: &'static str) -> Result<Option<usize>, DocError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) => parse_count(v)
                .map(Some)
                .ok_or_else(|| self.error(name, "expected a non-negative integer")),
        }
    }

    /// An optional boolean.
    pub fn optional_bool(&mut self, name: &'static str) -> Result<Option<bool>, DocError> {
        match self.optional(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(name, "expected true or false")),
        }
    }

    /// A required string.
    pub fn string(&mut self, name: &'static str) -> Result<&'a str, DocError> {
        let v = self.required(name)?;
        v.as_str()
            .ok_or_else(|| self.error(name, "expected a string"))
    }

    /// A required nested object.
    pub fn object(&mut self, name: &'static str) -> Result<Fields<'a>, DocError> {
        let v = self.required(name)?;
        Fields::new(v, &self.child(name), self.id)
    }

    /// An optional nested object.
    pub fn optional_object(&mut self, name: &'static str) -> Result<Option<Fields<'a>>, DocError> {
        let path = self.child(name);
        self.optional(name)
            .map(|v| Fields::new(v, &path, self.id))
            .transpose()
    }

    /// A required array, with the path of each element.
    pub fn array(&mut self, name: &'static str) -> Result<Vec<(&'a Value, String)>, DocError> {
        let v = self.required(name)?;
        let path = self.child(name);
        let items = v
            .as_array()
            .ok_or_else(|| DocError::new(self.id, &path, "expected an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| (item, format!("{path}[{i}]")))
            .collect())
    }

    /// The case id, for nested readers.
    pub fn id(&self) -> &'a str {
        self.id
    }
}

/// A JSON array of numbers as a vector.
pub fn parse_vector<T: JsonScalar>(
    v: &Value,
    path: &str,
    id: &str,
) -> Result<DVector<T>, DocError> {
    let items = v
        .as_array()
        .ok_or_else(|| DocError::new(id, path, "expected an array of numbers"))?;
    let values = items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            parse_number(x)
                .ok_or_else(|| DocError::new(id, &format!("{path}[{i}]"), "expected a number"))
        })
        .collect::<Result<Vec<T>, _>>()?;
    Ok(DVector::from_vec(values))
}

/// A JSON integer ≥ 0 that fits in `usize`.
pub fn parse_count(v: &Value) -> Option<usize> {
    v.as_u64().and_then(|n| usize::try_from(n).ok())
}
