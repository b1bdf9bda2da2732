//! The route table: every route declared once, with its methods. 404s, and 405s with `Allow`,
//! come from the same table, so a route and its methods cannot drift apart.

use super::extract::{FromRequest, RequestParts};
use super::response::Response;
use crate::error::{ApiError, ApiResult};
use std::future::Future;
use std::pin::Pin;

pub type Reply = Pin<Box<dyn Future<Output = ApiResult<Response>>>>;
type BoxedHandler = Box<dyn Fn(RequestParts) -> Reply>;

/// An async function whose arguments are all extractors.
pub trait Handler<Args>: Clone + 'static {
    fn call(&self, parts: RequestParts) -> Reply;
}

macro_rules! impl_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg),*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + 'static,
            Fut: Future<Output = ApiResult<Response>> + 'static,
            $($arg: FromRequest + 'static),*
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call(&self, mut parts: RequestParts) -> Reply {
                let handler = self.clone();
                Box::pin(async move {
                    $(let $arg = $arg::from_request(&mut parts).await?;)*
                    handler($($arg),*).await
                })
            }
        }
    };
}
impl_handler!();
impl_handler!(A);
impl_handler!(A, B);
impl_handler!(A, B, C);
impl_handler!(A, B, C, D);
impl_handler!(A, B, C, D, E);
impl_handler!(A, B, C, D, E, G);

/// The handlers of one path, by method.
#[derive(Default)]
pub struct Methods(Vec<(&'static str, BoxedHandler)>);

macro_rules! method_fns {
    ($($name:ident => $method:literal),*) => {
        $(
            #[allow(dead_code)] // one constructor per method, whether a route starts with it or not
            pub fn $name<H: Handler<A>, A>(handler: H) -> Methods {
                Methods::default().$name(handler)
            }
        )*
        impl Methods {
            $(
                pub fn $name<H: Handler<A>, A>(mut self, handler: H) -> Self {
                    self.0.push(($method, Box::new(move |parts| handler.call(parts))));
                    self
                }
            )*
        }
    };
}
method_fns!(get => "GET", post => "POST", put => "PUT", patch => "PATCH", delete => "DELETE");

impl Methods {
    fn find(&self, method: &str) -> Option<&BoxedHandler> {
        // HEAD is answered by GET's handler (the runtime drops the body).
        let method = if method == "HEAD" { "GET" } else { method };
        self.0.iter().find(|(m, _)| *m == method).map(|(_, h)| h)
    }

    fn allow(&self) -> String {
        let mut names: Vec<&str> = self.0.iter().map(|(m, _)| *m).collect();
        if names.contains(&"GET") {
            names.push("HEAD");
        }
        names.join(", ")
    }
}

pub struct Router {
    table: matchit::Router<Methods>,
    /// Parameter names per route, in path order (matchit hands values back by name).
    names: Vec<&'static str>,
}

impl Default for Router {
    fn default() -> Self {
        Router { table: matchit::Router::new(), names: Vec::new() }
    }
}

impl Router {
    /// Declares a path (`/office/:org/api/families/:family_id`) and its methods.
    pub fn route(mut self, path: &'static str, methods: Methods) -> Self {
        for segment in path.split('/') {
            if let Some(name) = segment.strip_prefix(':') {
                if !self.names.contains(&name) {
                    self.names.push(name);
                }
            }
        }
        if let Err(e) = self.table.insert(path, methods) {
            // A route table that contradicts itself is a programming error, found by every test run.
            panic!("route {path}: {e}");
        }
        self
    }

    /// Runs the handler for `method` on `path`: 404 when no route has the path, 405 with `Allow`
    /// when the route does not take the method (whatever the method's name: `QUERY`, `FOO`).
    pub fn dispatch(&self, method: &str, path: &str, mut parts: RequestParts) -> Result<Reply, ApiError> {
        let matched = self.table.at(path).map_err(|_| ApiError::route_not_found())?;
        let Some(handler) = matched.value.find(method) else {
            return Err(ApiError::method_not_allowed().with_allow(matched.value.allow()));
        };
        for (name, value) in matched.params.iter() {
            let Some(name) = self.names.iter().find(|n| **n == name) else { continue };
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| ApiError::route_not_found())?;
            parts.params.push((name, value.into_owned()));
        }
        Ok(handler(parts))
    }
}
